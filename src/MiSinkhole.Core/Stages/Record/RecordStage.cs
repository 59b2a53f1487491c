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
    private readonly SinkholeMetrics _metrics;

    public RecordStage(DeviceInventory inventory, SinkholeMetrics metrics)
    {
        _inventory = inventory;
        _metrics = metrics;
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
                _metrics.RecordPolicyMatch(context.Device, list, MetricLabels.Action(context.PolicyAction));
            }
        }
    }
}
