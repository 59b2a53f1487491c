using System.Numerics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Policies;

/// <summary>
/// A policy resolved against the compiled lists: bit masks of its Block, Log and Allow lists,
/// so a decision is a few AND operations. Precedence: important &gt; Allow and exceptions &gt;
/// Block &gt; Log. A policy with a schedule stands in for its <c>Otherwise</c> policy (or for
/// none) outside the schedule's windows: see <see cref="Effective"/>.
/// </summary>
public sealed class CompiledPolicy
{
    /// <summary>What applies outside a schedule without <c>Otherwise</c>: nothing blocked or logged.</summary>
    public static readonly CompiledPolicy None = new(new PolicyOptions { Name = "none" }, []);

    private volatile ScheduleState? _state;

    public CompiledPolicy(PolicyOptions options, IReadOnlyList<string> listNames)
    {
        Name = options.Name;
        BlockMask = Mask(options.Block, listNames);
        LogMask = Mask(options.Log, listNames);
        AllowMask = Mask(options.Allow, listNames);
        BlockResponse = options.BlockResponse;
        BlockIPv4 = [.. options.BlockAddresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).SelectMany(a => a.GetAddressBytes())];
        BlockIPv6 = [.. options.BlockAddresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6).SelectMany(a => a.GetAddressBytes())];
        BlockTtl = (uint)Math.Clamp(options.BlockTtl.TotalSeconds, 0, int.MaxValue);
    }

    public string Name { get; }

    /// <summary>When this policy applies; null: always.</summary>
    public WeeklySchedule? Schedule { get; private set; }

    /// <summary>The name of <see cref="Schedule"/> in <c>Schedules</c>.</summary>
    public string? ScheduleName { get; private set; }

    /// <summary>The policy outside <see cref="Schedule"/>; null: <see cref="None"/>.</summary>
    public CompiledPolicy? Otherwise { get; private set; }

    public ulong BlockMask { get; }

    public ulong LogMask { get; }

    public ulong AllowMask { get; }

    public BlockResponseMode BlockResponse { get; }

    public uint BlockTtl { get; }

    /// <summary>Custom block addresses in wire form: 4 bytes each.</summary>
    public byte[] BlockIPv4 { get; }

    /// <summary>Custom block addresses in wire form: 16 bytes each.</summary>
    public byte[] BlockIPv6 { get; }

    /// <summary>
    /// The verdict for one name. Precedence: an <c>$important</c> rule of a Block list; then an
    /// <c>$important</c> rule of a Log list (beats Allow, not Block); then Allow lists and
    /// <c>@@</c> exceptions in any of the policy's lists; then Block; then Log.
    /// </summary>
    public PolicyDecision Decide(RuleMatch match)
    {
        if ((match.Lists | match.Exceptions) == 0)
        {
            return new PolicyDecision(PolicyAction.None, -1);
        }

        ulong important = match.Important & match.Lists;
        if ((important & BlockMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(important & BlockMask));
        }

        ulong allowed = (match.Lists & AllowMask) | (match.Exceptions & (AllowMask | BlockMask | LogMask));
        if ((important & LogMask) != 0)
        {
            // Important beats Allow, but a Log list never overrides a Block list that still applies.
            return allowed == 0 && (match.Lists & BlockMask) != 0
                ? new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(match.Lists & BlockMask))
                : new PolicyDecision(PolicyAction.Logged, BitOperations.TrailingZeroCount(important & LogMask));
        }

        if (allowed != 0)
        {
            return new PolicyDecision(PolicyAction.Allowed, BitOperations.TrailingZeroCount(allowed));
        }

        if ((match.Lists & BlockMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(match.Lists & BlockMask));
        }

        if ((match.Lists & LogMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Logged, BitOperations.TrailingZeroCount(match.Lists & LogMask));
        }

        return new PolicyDecision(PolicyAction.None, -1);
    }

    /// <summary>The policy in force now: this one, or outside its schedule its <c>Otherwise</c> (in force now).</summary>
    public CompiledPolicy Effective(TimeProvider time)
    {
        if (Schedule is null)
        {
            return this;
        }

        // Schedules change at known instants: between them the answer is cached.
        DateTimeOffset now = time.GetUtcNow();
        ScheduleState? state = _state;
        if (state is null || now.UtcTicks >= state.UntilTicks || now.UtcTicks < state.FromTicks)
        {
            state = new ScheduleState(Schedule.IsActive(now, time.LocalTimeZone), now.UtcTicks, Schedule.NextChange(now, time.LocalTimeZone).UtcTicks);
            _state = state;
        }

        return state.Active ? this : (Otherwise ?? None).Effective(time);
    }

    /// <summary>Attaches the schedule and the <c>Otherwise</c> policy (once, while the snapshot is compiled).</summary>
    internal void SetSchedule(string name, WeeklySchedule schedule, CompiledPolicy? otherwise)
    {
        ScheduleName = name;
        Schedule = schedule;
        Otherwise = otherwise;
    }

    private static ulong Mask(IReadOnlyList<string> names, IReadOnlyList<string> listNames)
    {
        ulong mask = 0;
        for (int i = 0; i < listNames.Count; i++)
        {
            if (names.Contains(listNames[i], StringComparer.OrdinalIgnoreCase))
            {
                mask |= 1UL << i;
            }
        }

        return mask;
    }

    private sealed record ScheduleState(bool Active, long FromTicks, long UntilTicks);
}
