using System.Collections.Frozen;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// "Pause blocking for 30 minutes", for one device or for everyone: while paused, what the
/// policy would block is answered normally and recorded as would-have-blocked (as a Log list
/// would), and blocking comes back by itself when the time is up. Pauses live in memory only;
/// a restart ends them. The per-query check is one read of a field while nothing is paused.
/// </summary>
public sealed class BlockingPause
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private volatile State _state = State.None;

    public BlockingPause(TimeProvider time) => _time = time;

    /// <summary>Pauses blocking for every client until <paramref name="duration"/> from now.</summary>
    public DateTimeOffset PauseAll(TimeSpan duration) => Update(null, duration);

    /// <summary>Pauses blocking for one device (a configured name, or "unknown" for clients that are no device).</summary>
    public DateTimeOffset Pause(string device, TimeSpan duration) => Update(device, duration);

    /// <summary>Ends a pause now (null: the pause for everyone).</summary>
    public void Resume(string? device) => Update(device, TimeSpan.Zero);

    /// <summary>Pauses in force now: device name (or "*" for everyone) → end.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Active
    {
        get
        {
            State state = _state;
            long now = _time.GetUtcNow().UtcTicks;
            var active = state.Devices.Where(p => p.Value > now).ToDictionary(p => p.Key, p => new DateTimeOffset(p.Value, TimeSpan.Zero), StringComparer.OrdinalIgnoreCase);
            if (state.AllUntil > now)
            {
                active["*"] = new DateTimeOffset(state.AllUntil, TimeSpan.Zero);
            }

            return active;
        }
    }

    /// <summary>Whether blocking is paused for <paramref name="device"/> now.</summary>
    public bool IsPaused(string device) => PausedUntilTicks(device) != 0;

    /// <summary>
    /// While blocking is paused for <paramref name="device"/>, when the pause ends (UTC ticks; the
    /// later of its own pause and the pause for everyone); 0 when it is not paused.
    /// </summary>
    public long PausedUntilTicks(string device)
    {
        State state = _state;
        if (state.LatestEnd == 0)
        {
            return 0;
        }

        long now = _time.GetUtcNow().UtcTicks;
        if (now >= state.LatestEnd)
        {
            return 0;
        }

        long own = state.Devices.TryGetValue(device, out long until) && until > now ? until : 0;
        long all = state.AllUntil > now ? state.AllUntil : 0;
        return Math.Max(own, all);
    }

    private DateTimeOffset Update(string? device, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset end = now + duration;
        lock (_lock)
        {
            State old = _state;
            var devices = old.Devices.Where(p => p.Value > now.UtcTicks).ToDictionary(StringComparer.OrdinalIgnoreCase);
            long all = old.AllUntil > now.UtcTicks ? old.AllUntil : 0;
            if (device is null)
            {
                all = duration > TimeSpan.Zero ? end.UtcTicks : 0;
            }
            else if (duration > TimeSpan.Zero)
            {
                devices[device] = end.UtcTicks;
            }
            else
            {
                devices.Remove(device);
            }

            long latest = devices.Values.Append(all).Max();
            _state = new State(all, latest, devices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
        }

        return end;
    }

    /// <summary>Immutable: swapped whole, so a query reads a consistent set of pauses without a lock.</summary>
    private sealed record State(long AllUntil, long LatestEnd, FrozenDictionary<string, long> Devices)
    {
        public static readonly State None = new(0, 0, FrozenDictionary<string, long>.Empty);
    }
}
