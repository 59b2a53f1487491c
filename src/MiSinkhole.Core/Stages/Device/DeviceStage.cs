using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Rules;

namespace MiSinkhole.Core.Stages.Device;

/// <summary>
/// Who asked: resolves the client to a configured device (exact address, MAC through the
/// neighbour table, CIDR range) and picks that device's policy; other clients are
/// <c>unknown</c> and get <c>DefaultPolicy</c>. Takes the rules snapshot once, so the device,
/// its policy and the lists the policy points at all come from the same config. Notes whether
/// blocking is paused for the device.
/// </summary>
public sealed class DeviceStage : IQueryStage
{
    private readonly RuleEngine _engine;
    private readonly INeighbourTable _neighbours;
    private readonly BlockingPause _pause;

    public DeviceStage(RuleEngine engine, INeighbourTable neighbours, BlockingPause pause)
    {
        _engine = engine;
        _neighbours = neighbours;
        _pause = pause;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        RulesSnapshot rules = _engine.Current;
        context.Rules = rules;
        ConfiguredDevice? device = rules.Devices.Resolve(context.Client, _neighbours);
        if (device is not null)
        {
            context.Device = device.Name;
            context.Policy = device.Policy;
        }

        context.BlockingPaused = _pause.IsPaused(context.Device);
        return next(context);
    }
}
