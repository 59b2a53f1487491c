using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Truncate;

/// <summary>
/// Second, inside accounting: after every other stage has answered, fits the answer to what the client can
/// take over UDP (its EDNS payload size, 512 without EDNS). Too large → header + question with
/// TC=1, so the client retries over TCP, where the whole answer goes through.
/// </summary>
public sealed class TruncateStage : IQueryStage
{
    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAndFit(pending, context);
        }

        pending.GetAwaiter().GetResult();
        Fit(context);
        return default;
    }

    private static async ValueTask AwaitAndFit(ValueTask pending, QueryContext context)
    {
        await pending.ConfigureAwait(false);
        Fit(context);
    }

    private static void Fit(QueryContext context)
    {
        if (context.Transport == DnsTransport.Udp && context.ResponseLength > context.Query.MaxUdpResponseSize)
        {
            context.ResponseLength = DnsResponseWriter.Truncate(context.ResponseBuffer, context.Query);
        }
    }
}
