using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Stages.Record;

/// <summary>
/// Right after the device is known, around everything that decides and answers: once the
/// answer is written, records what happened for the device inventory and the per-device,
/// per-category policy metric. Answers written on the
/// receive thread (blocks, cache hits) are recorded there, without allocating; forwarded ones
/// when the upstream answer is in.
/// </summary>
public sealed class RecordStage : IQueryStage
{
    private readonly DeviceInventory _inventory;
    private readonly ConcurrentDictionary<(string Device, string Category, string Action), StripedCounter> _policyMatches = new();

    public RecordStage(DeviceInventory inventory, IMeterFactory meterFactory)
    {
        _inventory = inventory;
        meterFactory.Create(SinkholeMeter.Name).CreateObservableCounter("misinkhole.policy.matches", PolicyMatches,
            description: "Queries a policy list decided, by device, category (list) and action: blocked, logged (would have blocked) or allowed.");
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAndRecord(pending, context);
        }

        pending.GetAwaiter().GetResult();
        Record(context);
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitAndRecord(ValueTask pending, QueryContext context)
    {
        await pending.ConfigureAwait(false);
        Record(context);
    }

    private void Record(QueryContext context)
    {
        if (context.ResponseLength > 0)
        {
            _inventory.Record(context);
            if (context.PolicyAction != PolicyAction.None && context.MatchedList is string list)
            {
                CountPolicyMatch(context.Device, list, MetricLabels.Action(context.PolicyAction));
            }
        }
    }

    /// <summary>A striped counter per (device, category, action), read when scraped; the labels are bounded by the config.</summary>
    private void CountPolicyMatch(string device, string category, string action)
    {
        if (!_policyMatches.TryGetValue((device, category, action), out StripedCounter? counter))
        {
            counter = _policyMatches.GetOrAdd((device, category, action), static _ => new StripedCounter());
        }

        counter.Increment();
    }

    private IEnumerable<Measurement<long>> PolicyMatches() =>
        _policyMatches.Select(p => new Measurement<long>(p.Value.Value,
            new KeyValuePair<string, object?>("device", p.Key.Device),
            new KeyValuePair<string, object?>("category", p.Key.Category),
            new KeyValuePair<string, object?>("action", p.Key.Action)));
}
