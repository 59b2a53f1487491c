using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Last stage: resolves the question upstream (the only asynchronous work on the query path) and
/// writes the answer for this client, or SERVFAIL when every upstream failed. Before it waits, the
/// query must fit the upstream budget: at most <c>Dns:MaxInFlight</c> queries of its transport wait
/// at once, and at most the client's share of that (<c>RateLimit:UpstreamShare</c>), so a client
/// flooding names under a slow zone holds only its share, and blocked, cached and other clients'
/// forwarded answers keep flowing. A query over either is dropped (UDP) or gets SERVFAIL (TCP,
/// whose client cannot be spoofed and would otherwise wait on its pipeline).
/// </summary>
public sealed class ForwardStage : IQueryStage
{
    private readonly UpstreamResolver _resolver;
    private readonly DnsCache _cache;
    private readonly ClientLimiter _limits;

    public ForwardStage(UpstreamResolver resolver, DnsCache cache, ClientLimiter limits)
    {
        _resolver = resolver;
        _cache = cache;
        _limits = limits;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        int slot = _limits.TryEnterUpstream(context.Client, context.Transport);
        if (slot < ClientLimiter.Untracked)
        {
            TurnAway(context, slot);
            return default;
        }

        ref DnsQuery query = ref context.Query;
        Task<DnsAnswer?> pending;
        try
        {
            pending = _resolver.ResolveAsync(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled);
        }
        catch
        {
            _limits.ExitUpstream(slot, context.Transport);
            throw;
        }

        if (pending.IsCompleted)
        {
            _limits.ExitUpstream(slot, context.Transport);
            Write(context, pending.IsCompletedSuccessfully ? pending.Result : null);
            return default;
        }

        return AwaitAndWrite(pending, context, slot);
    }

    private async ValueTask AwaitAndWrite(Task<DnsAnswer?> pending, QueryContext context, int slot)
    {
        DnsAnswer? answer;
        try
        {
            answer = await pending.ConfigureAwait(false);
        }
        finally
        {
            _limits.ExitUpstream(slot, context.Transport);
        }

        Write(context, answer);
    }

    private static void TurnAway(QueryContext context, int reason)
    {
        if (reason == ClientLimiter.OverShare)
        {
            context.Outcome = Outcome.Limited;
            context.Limit = LimitReason.UpstreamShare;
        }
        else
        {
            context.Outcome = context.Transport == DnsTransport.Udp ? Outcome.Dropped : Outcome.Failed;
        }

        context.ResponseLength = context.Transport == DnsTransport.Udp
            ? 0
            : DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.ServFail);
    }

    private void Write(QueryContext context, DnsAnswer? answer)
    {
        if (answer is not null)
        {
            context.EnsureResponseCapacity(answer.Message.Length + 16);
            (uint minTtl, uint maxTtl) = _cache.TtlBounds(answer);
            int length = answer.WriteTo(context.ResponseBuffer, context.Request, context.Query, 0, minTtl, maxTtl);
            if (length > 0)
            {
                context.ResponseLength = length;
                context.Answer = answer;
                context.Outcome = Outcome.Forwarded;
                return;
            }
        }

        context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.ServFail);
        context.Outcome = Outcome.Failed;
    }
}
