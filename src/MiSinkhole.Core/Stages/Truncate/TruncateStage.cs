using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Truncate;

/// <summary>
/// Second, inside accounting: after every other stage has answered, fits the answer to what the
/// client can take over UDP: its EDNS payload size (512 without EDNS), and never more than
/// <c>Dns:MaxUdpSize</c> whatever the client advertises, so no UDP answer is larger than that
/// (a bound on what a spoofed query can reflect). Too large → header + question with TC=1, so
/// the client retries over TCP, where the whole answer goes through.
/// </summary>
public sealed class TruncateStage : IQueryStage, IQueryCompletion
{
    private readonly int _maxUdpSize;

    public TruncateStage(SinkholeOptions options) => _maxUdpSize = options.Dns.MaxUdpSize;

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return context.Defer(pending, this);
        }

        pending.GetAwaiter().GetResult();
        Fit(context);
        return default;
    }

    void IQueryCompletion.Complete(QueryContext context, long state, Exception? error)
    {
        if (error is null)
        {
            Fit(context);
        }
    }

    private void Fit(QueryContext context)
    {
        if (context.Transport == DnsTransport.Udp && context.ResponseLength > Math.Min(context.Query.MaxUdpResponseSize, _maxUdpSize))
        {
            context.ResponseLength = DnsResponseWriter.Truncate(context.ResponseBuffer, context.Query);
        }
    }
}
