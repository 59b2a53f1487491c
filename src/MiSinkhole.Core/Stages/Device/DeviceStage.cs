using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Rules;

namespace MiSinkhole.Core.Stages.Device;

/// <summary>
/// Who asked: resolves the client to a configured device (exact address, MAC through the
/// neighbour table, CIDR range) and picks that device's policy; other clients are
/// <c>unknown</c> and get <c>DefaultPolicy</c>. Takes the rules snapshot once, so the device,
/// its policy and the lists the policy points at all come from the same config. A client the
/// inventory flagged as a Xiaomi device gets <c>Devices:AutoPolicy</c> when that is set. Notes
/// whether blocking is paused for the device, and picks the policy in force now (schedules).
/// </summary>
public sealed class DeviceStage : IQueryStage
{
    private readonly RuleEngine _engine;
    private readonly INeighbourTable _neighbours;
    private readonly BlockingPause _pause;
    private readonly DeviceInventory _inventory;
    private readonly TimeProvider _time;

    public DeviceStage(RuleEngine engine, INeighbourTable neighbours, BlockingPause pause, DeviceInventory inventory, TimeProvider time)
    {
        _time = time;
        _engine = engine;
        _neighbours = neighbours;
        _pause = pause;
        _inventory = inventory;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        RulesSnapshot rules = _engine.Current;
        context.Rules = rules;
        ConfiguredDevice? device = rules.Devices.Resolve(context.Client, _neighbours);
        CompiledPolicy policy = rules.DefaultPolicy;
        if (device is not null)
        {
            context.Device = device.Name;
            policy = device.Policy;
        }
        else if (rules.Options.Devices.AutoPolicy is string auto && rules.Policies.TryGetValue(auto, out CompiledPolicy? autoPolicy)
            && _inventory.AutoPolicyApplies(context.Client, auto))
        {
            policy = autoPolicy; // flagged as a Xiaomi device: Devices:AutoPolicy applies (still "unknown" in metrics)
        }

        context.Policy = policy.Effective(_time); // a scheduled policy outside its windows: its Otherwise
        context.BlockingPaused = _pause.IsPaused(context.Device);
        return next(context);
    }
}
