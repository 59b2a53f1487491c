using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// "Pause blocking for 30 minutes", for one device or for everyone: while paused, what the
/// policy would block is answered normally and recorded as would-have-blocked (as a Log list
/// would), and blocking comes back by itself when the time is up. Pauses live in memory only;
/// a restart ends them. The per-query check is one read of a field while nothing is paused.
/// Every pause, resume and end is logged (who, for how long, until when); the end of a pause by
/// itself is noticed by a timer, never by a query.
/// </summary>
public sealed partial class BlockingPause : IDisposable
{
    /// <summary>The name a pause for every client has in <see cref="Active"/>.</summary>
    public const string Everyone = "*";

    private readonly TimeProvider _time;
    private readonly ILogger<BlockingPause> _logger;
    private readonly Lock _lock = new();
    private readonly ITimer _expiry;
    private volatile State _state = State.None;

    public BlockingPause(TimeProvider time, ILogger<BlockingPause> logger)
    {
        _time = time;
        _logger = logger;
        _expiry = time.CreateTimer(static self => ((BlockingPause)self!).Expire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

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
                active[Everyone] = new DateTimeOffset(state.AllUntil, TimeSpan.Zero);
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

    public void Dispose() => _expiry.Dispose();

    private DateTimeOffset Update(string? device, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset end = now + duration;
        var ended = new List<(string Who, long Until)>();
        long wasUntil;
        lock (_lock)
        {
            (long all, Dictionary<string, long> devices) = Prune(now, ended);
            if (device is null)
            {
                wasUntil = all;
                all = duration > TimeSpan.Zero ? end.UtcTicks : 0;
            }
            else
            {
                wasUntil = devices.GetValueOrDefault(device);
                if (duration > TimeSpan.Zero)
                {
                    devices[device] = end.UtcTicks;
                }
                else
                {
                    devices.Remove(device);
                }
            }

            Swap(all, devices, now);
        }

        LogEnded(ended);
        string who = Who(device);
        if (duration > TimeSpan.Zero)
        {
            string until = Local(end.UtcTicks);
            LogPaused(who, duration, until);
        }
        else if (wasUntil > 0)
        {
            string until = Local(wasUntil);
            LogResumed(who, until);
        }
        else
        {
            LogNotPaused(who);
        }

        return end;
    }

    /// <summary>The timer: pauses whose time is up are dropped and logged; the timer is set for the next end.</summary>
    private void Expire()
    {
        DateTimeOffset now = _time.GetUtcNow();
        var ended = new List<(string Who, long Until)>();
        lock (_lock)
        {
            (long all, Dictionary<string, long> devices) = Prune(now, ended);
            Swap(all, devices, now);
        }

        LogEnded(ended);
    }

    /// <summary>The pauses still in force at <paramref name="now"/>; the others go to <paramref name="ended"/> (under the lock).</summary>
    private (long All, Dictionary<string, long> Devices) Prune(DateTimeOffset now, List<(string Who, long Until)> ended)
    {
        State old = _state;
        var devices = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach ((string device, long until) in old.Devices)
        {
            if (until > now.UtcTicks)
            {
                devices[device] = until;
            }
            else
            {
                ended.Add((Who(device), until));
            }
        }

        long all = old.AllUntil;
        if (all != 0 && all <= now.UtcTicks)
        {
            ended.Add((Who(null), all));
            all = 0;
        }

        return (all, devices);
    }

    private void LogEnded(List<(string Who, long Until)> ended)
    {
        foreach ((string who, long until) in ended.OrderBy(e => e.Until))
        {
            string at = Local(until);
            LogEnded(who, at);
        }
    }

    /// <summary>Installs the new pauses and sets the timer for the earliest end (under the lock).</summary>
    private void Swap(long all, Dictionary<string, long> devices, DateTimeOffset now)
    {
        long latest = devices.Values.Append(all).Max();
        _state = new State(all, latest, devices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
        long next = devices.Values.Append(all).Where(t => t > 0).DefaultIfEmpty(0).Min();
        _expiry.Change(next == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, next - now.UtcTicks)), Timeout.InfiniteTimeSpan);
    }

    private static string Who(string? device) => device is null ? "every client" : $"device '{device}'";

    private string Local(long utcTicks) => LocalTime.Format(new DateTimeOffset(utcTicks, TimeSpan.Zero), _time.LocalTimeZone);

    [LoggerMessage(EventId = LogEventIds.Pause + 1, Level = LogLevel.Information, Message = "Blocking paused for {Who} for {Duration}, until {Until}: what it would block is answered and logged")]
    private partial void LogPaused(string who, TimeSpan duration, string until);

    [LoggerMessage(EventId = LogEventIds.Pause + 2, Level = LogLevel.Information, Message = "Blocking resumed for {Who} (the pause would have lasted until {Until})")]
    private partial void LogResumed(string who, string until);

    [LoggerMessage(EventId = LogEventIds.Pause + 3, Level = LogLevel.Information, Message = "Resume for {Who}: blocking was not paused")]
    private partial void LogNotPaused(string who);

    [LoggerMessage(EventId = LogEventIds.Pause + 4, Level = LogLevel.Information, Message = "Pause for {Who} ended at {Until}: blocking again")]
    private partial void LogEnded(string who, string until);

    /// <summary>Immutable: swapped whole, so a query reads a consistent set of pauses without a lock.</summary>
    private sealed record State(long AllUntil, long LatestEnd, FrozenDictionary<string, long> Devices)
    {
        public static readonly State None = new(0, 0, FrozenDictionary<string, long>.Empty);
    }
}
