using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Clients;

/// <summary>
/// What applies to one client at one instant, and why: the answer of
/// <see cref="ClientPolicyResolver"/>. The query path keeps it in the query context; explain
/// shows it. A value: resolving allocates nothing.
/// </summary>
public readonly struct ClientPolicy
{
    /// <summary>The device name of clients that are no configured device (metrics, query log, pauses).</summary>
    public const string UnknownDevice = "unknown";

    public ClientPolicy(ConfiguredDevice? device, CompiledPolicy assigned, PolicySource source, CompiledPolicy policy, long pausedUntilTicks)
    {
        Device = device;
        Assigned = assigned;
        Source = source;
        Policy = policy;
        PausedUntilTicks = pausedUntilTicks;
    }

    /// <summary>The configured device, or null for a client that is none.</summary>
    public ConfiguredDevice? Device { get; }

    public string DeviceName => Device?.Name ?? UnknownDevice;

    /// <summary>The policy the device, <c>Devices:AutoPolicy</c> or <c>DefaultPolicy</c> gives the client (see <see cref="Source"/>).</summary>
    public CompiledPolicy Assigned { get; }

    public PolicySource Source { get; }

    /// <summary>The policy in force now: <see cref="Assigned"/>, or outside its schedule what its <c>Otherwise</c> gives.</summary>
    public CompiledPolicy Policy { get; }

    /// <summary>While blocking is paused for the client, when the pause ends (UTC ticks); 0: not paused.</summary>
    public long PausedUntilTicks { get; }

    public bool IsPaused => PausedUntilTicks != 0;

    public DateTimeOffset? PausedUntil => IsPaused ? new DateTimeOffset(PausedUntilTicks, TimeSpan.Zero) : null;

    /// <summary>
    /// The verdict for one name (the query name or a CNAME target of its answer): the policy's
    /// decision, with a block turned into "would have blocked" while blocking is paused.
    /// </summary>
    public PolicyDecision Decide(RuleMatch match)
    {
        PolicyDecision decision = Policy.Decide(match);
        return decision.Action == PolicyAction.Blocked && IsPaused ? decision with { Action = PolicyAction.Logged } : decision;
    }
}
