using MiSinkhole.Core.Stages.Access;
using MiSinkhole.Core.Stages.Accounting;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Decode;
using MiSinkhole.Core.Stages.Device;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Core.Stages.Inspect;
using MiSinkhole.Core.Stages.Inventory;
using MiSinkhole.Core.Stages.Policy;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.Core.Stages.Truncate;

namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// The one place the query chain is put together. Order matters; each line says why a stage
/// sits where it does.
/// </summary>
public static class QueryPipelineBuilder
{
    public static QueryPipeline Build(
        AccountingStage accounting,
        TruncateStage truncate,
        AccessStage access,
        DecodeStage decode,
        DeviceStage device,
        InventoryStage inventory,
        RateLimitStage rateLimit,
        PolicyStage policy,
        InspectStage inspect,
        CacheStage cache,
        ForwardStage forward)
    {
        IQueryStage[] chain =
        [
            accounting, // outermost: counts every query in the metrics, refused and malformed ones too, and offers it to the query log
            truncate,   // next: sees every answer, whoever wrote it, and fits it to the client's UDP size (accounting sees the fitted one)
            access,     // before any real work, decoding too: strangers get REFUSED or nothing (never FORMERR/NOTIMP/BADVERS), so we are never an open resolver or a reflector
            decode,     // everything after needs the parsed question; malformed input stops here (FORMERR/NOTIMP)
            device,     // who asked and what applies to them now (ClientPolicyResolver), with one config snapshot for the whole query
            inventory,  // around everything that decides and answers: the device inventory records what happened to the client
            rateLimit,  // once who asked is known and inside the inventory (both count what it turns away): a UDP client over its token bucket goes no further
            policy,     // blocks before cache and upstream: a blocked name is never sent upstream
            inspect,    // wraps cache and forward: CNAME targets of cached and fresh answers get the same verdict
            cache,      // before forward: hits answer on the receive thread; misses are stored on the way back
            forward,    // last: the only stage that waits (on upstream servers)
        ];
        return new QueryPipeline(Compose(chain));
    }

    /// <summary>Folds the stages into one delegate, last stage first (like middleware).</summary>
    public static QueryDelegate Compose(IReadOnlyList<IQueryStage> stages)
    {
        QueryDelegate next = static context => default; // after the last stage: nothing more to do
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            IQueryStage stage = stages[i];
            QueryDelegate following = next;
            next = context => stage.InvokeAsync(context, following);
        }

        return next;
    }
}
