using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// After policy and inspection, before forwarding: a hit is answered here on the receive thread
/// (ID and question case patched, TTLs counted down, zero allocations); a miss goes on and the
/// forwarded answer is stored on the way back.
/// </summary>
public sealed class CacheStage : IQueryStage
{
    private readonly DnsCache _cache;
    private readonly StripedCounter _hits = new();
    private readonly StripedCounter _misses = new();

    public CacheStage(DnsCache cache, IMeterFactory meterFactory)
    {
        _cache = cache;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableCounter("misinkhole.cache.hits", () => _hits.Value, description: "Queries answered from the cache.");
        meter.CreateObservableCounter("misinkhole.cache.misses", () => _misses.Value, description: "Queries the cache could not answer (forwarded upstream).");
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ref DnsQuery query = ref context.Query;
        if (_cache.TryGet(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled, out DnsAnswer? answer, out uint elapsed))
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
                return default;
            }
        }

        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAndStore(pending, context);
        }

        pending.GetAwaiter().GetResult();
        Store(context);
        return default;
    }

    private async ValueTask AwaitAndStore(ValueTask pending, QueryContext context)
    {
        await pending.ConfigureAwait(false);
        Store(context);
    }

    private void Store(QueryContext context)
    {
        if (context.Outcome is Outcome.Forwarded or Outcome.Failed)
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
