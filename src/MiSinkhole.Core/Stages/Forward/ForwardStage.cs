using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Logging;
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
/// <para>
/// Serve-stale (RFC 8767, <c>Cache:ServeStale</c>): when the cache holds an expired answer for the
/// question, it is served (TTL <c>Cache:StaleTtl</c>, Extended DNS Error 3, <see cref="Outcome.Stale"/>)
/// instead of SERVFAIL when every upstream fails, and instead of waiting when none has answered
/// within <see cref="StaleClientWait"/>; the exchange goes on and its answer is stored when it comes.
/// After a failed refresh the entry is served stale at once for <see cref="DnsCache.FailureRecheck"/>,
/// taking no place in the upstream budget, while a background refresh (<see cref="CacheRefresher"/>) tries again.
/// </para>
/// </summary>
public sealed partial class ForwardStage : IQueryStage, IQueryCompletion
{
    /// <summary>
    /// How long a client waits on upstreams before it gets the stale answer the cache holds:
    /// RFC 8767's client response timer, as unbound's <c>serve-expired-client-timeout</c> and
    /// Technitium's default (1.8 s, just under the usual 2 s client timeout). A fixed constant, not
    /// derived from <c>Upstreams:Timeout</c>: when that is shorter, the exchange fails first and the
    /// stale answer goes out then.
    /// </summary>
    public static readonly TimeSpan StaleClientWait = TimeSpan.FromMilliseconds(1800);

    private readonly UpstreamResolver _resolver;
    private readonly DnsCache _cache;
    private readonly ClientLimiter _limits;
    private readonly CacheRefresher? _refresher;
    private readonly ILogger<ForwardStage> _logger;

    /// <summary>Without background refreshes of stale entries, and without logging.</summary>
    public ForwardStage(UpstreamResolver resolver, DnsCache cache, ClientLimiter limits)
        : this(resolver, cache, limits, null, NullLogger<ForwardStage>.Instance)
    {
    }

    public ForwardStage(UpstreamResolver resolver, DnsCache cache, ClientLimiter limits, CacheRefresher? refresher, ILogger<ForwardStage> logger)
    {
        _resolver = resolver;
        _cache = cache;
        _limits = limits;
        _refresher = refresher;
        _logger = logger;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ref DnsQuery query = ref context.Query;
        CacheEntry? stale = _cache.ServeStale ? _cache.FindStale(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled) : null;
        if (stale is not null && _cache.FailedRecently(stale) && ServeStale(context, stale, timedOut: false))
        {
            // Upstreams just failed to refresh this: answer at once, without a place in the
            // upstream budget (an outage fills it), and try again in the background.
            _refresher?.TryStart(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, RefreshReason.Stale, stale);
            return default;
        }

        int slot = _limits.TryEnterUpstream(context.Client, context.Transport);
        if (slot < ClientLimiter.Untracked)
        {
            TurnAway(context, slot);
            return default;
        }

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
            Write(context, pending.IsCompletedSuccessfully ? pending.Result : null, stale);
            return default;
        }

        if (stale is not null)
        {
            return AwaitOrServeStale(pending, context, slot, stale);
        }

        context.UpstreamExchange = pending;
        return context.Defer(new ValueTask(pending), this, slot);
    }

    /// <summary>The exchange answered (or failed): its upstream slot goes back, and the answer is written.</summary>
    void IQueryCompletion.Complete(QueryContext context, long slot, Exception? error)
    {
        _limits.ExitUpstream((int)slot, context.Transport);
        if (error is null)
        {
            Write(context, context.UpstreamExchange!.Result, null);
        }
    }

    /// <summary>Waits at most <see cref="StaleClientWait"/> for the exchange; past that the client gets the stale answer and the exchange's answer goes to the cache.</summary>
    private async ValueTask AwaitOrServeStale(Task<DnsAnswer?> pending, QueryContext context, int slot, CacheEntry stale)
    {
        try
        {
            await ((Task)pending).WaitAsync(StaleClientWait, _cache.Time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _limits.ExitUpstream(slot, context.Transport);
        }

        if (pending.IsCompleted)
        {
            Write(context, pending.IsCompletedSuccessfully ? pending.Result : null, stale);
            return;
        }

        if (!ServeStale(context, stale, timedOut: true))
        {
            Fail(context);
            return;
        }

        ref DnsQuery query = ref context.Query;
        _ = StoreWhenAnsweredAsync(pending, context.QueryName.ToArray(), query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, stale);
    }

    /// <summary>The exchange a client stopped waiting for: its answer refreshes the cache; none marks the entry failed.</summary>
    private async Task StoreWhenAnsweredAsync(Task<DnsAnswer?> pending, byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, CacheEntry stale)
    {
        await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        DnsAnswer? answer = pending.IsCompletedSuccessfully ? pending.Result : null;
        if (answer is null)
        {
            _cache.RefreshFailed(stale);
            return;
        }

        _cache.Set(name, type, @class, dnssecOk, checkingDisabled, answer);
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

    /// <summary>Writes the upstream answer; without one the stale answer (looked up now when the query had none), else SERVFAIL.</summary>
    private void Write(QueryContext context, DnsAnswer? answer, CacheEntry? stale)
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
        else if (_cache.ServeStale)
        {
            ref DnsQuery query = ref context.Query;
            stale ??= _cache.FindStale(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled);
            if (stale is not null)
            {
                _cache.RefreshFailed(stale);
                if (ServeStale(context, stale, timedOut: false))
                {
                    return;
                }
            }
        }

        Fail(context);
    }

    private static void Fail(QueryContext context)
    {
        context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.ServFail);
        context.Outcome = Outcome.Failed;
    }

    /// <summary>Writes <paramref name="stale"/>'s answer as a stale answer (RFC 8767); false when it does not fit.</summary>
    private bool ServeStale(QueryContext context, CacheEntry stale, bool timedOut)
    {
        DnsAnswer answer = stale.Answer;
        context.EnsureResponseCapacity(answer.Message.Length + 24);
        int length = answer.WriteStaleTo(context.ResponseBuffer, context.Request, context.Query, _cache.StaleTtl);
        if (length <= 0)
        {
            return false;
        }

        context.ResponseLength = length;
        context.Answer = answer;
        context.Outcome = Outcome.Stale;
        _cache.CountStale(timedOut);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
#pragma warning disable CA1873 // guarded by the IsEnabled check above, which the analyzer does not see through
            LogServedStale(DnsName.ToText(context.QueryName), context.Query.Type, timedOut ? "no upstream answered within the client wait" : "every upstream failed");
#pragma warning restore CA1873
        }

        return true;
    }

    [LoggerMessage(EventId = LogEventIds.Cache + 3, Level = LogLevel.Debug, Message = "Answered {Name} type {Type} with a stale answer: {Reason}")]
    private partial void LogServedStale(string name, ushort type, string reason);
}
