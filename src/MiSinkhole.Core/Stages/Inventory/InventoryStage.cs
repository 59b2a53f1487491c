using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Stages.Inventory;

/// <summary>
/// Feeds the device inventory: right after the device is known, around everything that decides
/// and answers, so once the answer is written it sees the client, its resolved policy and what
/// the policy did (metrics are the accounting stage's). Answers written on the receive thread
/// (blocks, cache hits) are recorded there, without allocating; forwarded ones when the upstream
/// answer is in.
/// </summary>
public sealed class InventoryStage : IQueryStage, IQueryCompletion
{
    private readonly DeviceInventory _inventory;

    public InventoryStage(DeviceInventory inventory) => _inventory = inventory;

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return context.Defer(pending, this);
        }

        pending.GetAwaiter().GetResult();
        Record(context);
        return default;
    }

    void IQueryCompletion.Complete(QueryContext context, long state, Exception? error)
    {
        if (error is null)
        {
            Record(context);
        }
    }

    private void Record(QueryContext context)
    {
        if (context.ResponseLength > 0 || context.Outcome == Outcome.Limited)
        {
            _inventory.Record(context);
        }
    }
}
