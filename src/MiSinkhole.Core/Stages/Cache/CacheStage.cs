using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// After policy and inspection, before forwarding: a hit is answered here on the receive thread
/// (ID and question case patched, TTLs counted down, zero allocations); a miss goes on and the
/// forwarded answer is stored on the way back. A hit that finds a popular entry about to expire
/// starts its prefetch (<see cref="CacheRefresher"/>), unless a CNAME target of the answer is
/// blocked for this client (the inspect stage turns such a hit into a sinkhole answer: a name whose
/// answers are blocked is not asked again upstream on its behalf).
/// </summary>
public sealed class CacheStage : IQueryStage, IQueryCompletion
{
    private readonly DnsCache _cache;
    private readonly CacheRefresher? _refresher;
    private readonly StripedCounter _hits = new();
    private readonly StripedCounter _misses = new();

    /// <summary>Without prefetch.</summary>
    public CacheStage(DnsCache cache, IMeterFactory meterFactory)
        : this(cache, meterFactory, null)
    {
    }

    public CacheStage(DnsCache cache, IMeterFactory meterFactory, CacheRefresher? refresher)
    {
        _cache = cache;
        _refresher = refresher;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableCounter("misinkhole.cache.hits", () => _hits.Value, description: "Queries answered from the cache.");
        meter.CreateObservableCounter("misinkhole.cache.misses", () => _misses.Value, description: "Queries the cache could not answer (forwarded upstream).");
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ref DnsQuery query = ref context.Query;
        if (_cache.TryGet(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, out DnsAnswer? answer, out uint elapsed, out bool prefetch))
        {
            context.EnsureResponseCapacity(answer!.Message.Length + 16);
            (uint minTtl, uint maxTtl) = _cache.TtlBounds(answer);
            int length = answer.WriteTo(context.ResponseBuffer, context.Request, query, elapsed, minTtl, maxTtl);
            if (length > 0)
            {
                context.ResponseLength = length;
                context.Answer = answer;
                context.Outcome = Outcome.Cached;
                _hits.Increment();
                if (prefetch)
                {
                    Prefetch(context, answer);
                }

                return default;
            }
        }

        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return context.Defer(pending, this);
        }

        pending.GetAwaiter().GetResult();
        Store(context);
        return default;
    }

    private void Prefetch(QueryContext context, DnsAnswer answer)
    {
        if (_refresher is null || CnameTargetBlocked(context, answer))
        {
            return;
        }

        ref DnsQuery query = ref context.Query;
        if (!_refresher.TryStart(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, RefreshReason.Prefetch))
        {
            _cache.PrefetchNotStarted(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled);
        }
    }

    /// <summary>What the inspect stage will decide of this hit: a CNAME target blocked for this client (a name the policy allows is not inspected).</summary>
    private static bool CnameTargetBlocked(QueryContext context, DnsAnswer answer)
    {
        if (answer.CnameTargets.Length == 0 || context.PolicyAction == PolicyAction.Allowed || context.Config is not { } config)
        {
            return false;
        }

        foreach (byte[] target in answer.CnameTargets)
        {
            if (context.ClientPolicy.Decide(config.Rules.Match(target, context.Query.Type)).Action == PolicyAction.Blocked)
            {
                return true;
            }
        }

        return false;
    }

    void IQueryCompletion.Complete(QueryContext context, long state, Exception? error)
    {
        if (error is null)
        {
            Store(context);
        }
    }

    private void Store(QueryContext context)
    {
        if (context.Outcome is Outcome.Forwarded or Outcome.Failed or Outcome.Stale)
        {
            _misses.Increment();
        }

        if (context.Outcome == Outcome.Forwarded && context.Answer is { } answer)
        {
            ref DnsQuery query = ref context.Query;
            _cache.Set(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, answer);
        }
    }
}
