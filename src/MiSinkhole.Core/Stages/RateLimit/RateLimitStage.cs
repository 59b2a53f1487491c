using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.RateLimit;

/// <summary>
/// Once the device is known and the inventory sees the query: a UDP query over its client's token
/// bucket (<c>RateLimit:Rate</c>, <c>RateLimit:Burst</c>) goes no further and gets
/// <c>RateLimit:Action</c>: nothing, TC=1 (header and question, so a real client retries over TCP
/// at once) or REFUSED; none is larger than the query. TCP queries are not counted: a TCP client
/// cannot be spoofed, is bounded by the connection caps and the upstream share, and TCP is where
/// a truncated client goes. Exempt clients (<c>RateLimit:Exempt</c>, loopback by default) pass.
/// The accounting stage counts the turned-away queries per device, the inventory per client.
/// </summary>
public sealed class RateLimitStage : IQueryStage
{
    private readonly ClientLimiter _limits;
    private readonly RateLimitAction _action;

    public RateLimitStage(ClientLimiter limits, MiSinkhole.Core.Configuration.SinkholeOptions options)
    {
        _limits = limits;
        _action = options.RateLimit.Action;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        if (context.Transport != DnsTransport.Udp || !_limits.RateLimited || _limits.IsExempt(context.Client) || _limits.TryTake(context.Client))
        {
            return next(context);
        }

        context.Outcome = Outcome.Limited;
        context.Limit = LimitReason.Rate;
        context.ResponseLength = _action switch
        {
            RateLimitAction.Truncate => Truncated(context),
            RateLimitAction.Refused => DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.Refused),
            _ => 0,
        };
        return default;
    }

    /// <summary>Header and question with TC=1 (and our OPT when the client sent one).</summary>
    private static int Truncated(QueryContext context)
    {
        DnsResponseWriter.WriteHeader(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.NoError, includeQuestion: true);
        return DnsResponseWriter.Truncate(context.ResponseBuffer, context.Query);
    }
}
