using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Clients;

/// <summary>
/// The one answer to "who is asking, and what applies to them now": from the client's identity
/// and the clock, the configured device (exact address, then MAC, then narrowest range), the
/// policy it is given (the device's, <c>Devices:AutoPolicy</c> for a client flagged as a Xiaomi
/// device, or <c>DefaultPolicy</c>), the policy in force at this instant (schedules), and
/// whether blocking is paused for it. The device stage asks it for every query; explain (CLI and
/// API) and the inventory ask it too, so they can never disagree with the answer a client gets.
/// Allocates nothing.
/// </summary>
public sealed class ClientPolicyResolver
{
    private readonly INeighbourTable _neighbours;
    private readonly XiaomiClients _xiaomi;
    private readonly BlockingPause _pause;
    private readonly TimeProvider _time;

    public ClientPolicyResolver(INeighbourTable neighbours, XiaomiClients xiaomi, BlockingPause pause, TimeProvider time)
    {
        _neighbours = neighbours;
        _xiaomi = xiaomi;
        _pause = pause;
        _time = time;
    }

    /// <summary>The clock the answers are for.</summary>
    public TimeProvider Time => _time;

    /// <summary>What applies to <paramref name="client"/> now, under the config of <paramref name="rules"/>.</summary>
    public ClientPolicy Resolve(ConfigSnapshot rules, in ClientIdentity client)
    {
        if (rules.Devices.Resolve(client, _neighbours) is ConfiguredDevice device)
        {
            return ForDevice(device);
        }

        return rules.AutoPolicy is { } auto && _xiaomi.IsFlagged(client, _neighbours)
            ? Apply(null, auto, PolicySource.AutoPolicy)
            : Apply(null, rules.DefaultPolicy, PolicySource.Default);
    }

    /// <summary>What applies to a configured device now, whichever of its addresses asks.</summary>
    public ClientPolicy ForDevice(ConfiguredDevice device) => Apply(device, device.Policy, PolicySource.Device);

    private ClientPolicy Apply(ConfiguredDevice? device, CompiledPolicy assigned, PolicySource source) =>
        new(device, assigned, source, assigned.Effective(_time), _pause.PausedUntilTicks(device?.Name ?? ClientPolicy.UnknownDevice));
}
