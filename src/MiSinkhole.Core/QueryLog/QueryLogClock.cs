using System.Diagnostics;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The wall-clock time of a query from the monotonic timestamp the accounting stage already took
/// for its duration, so a logged query costs no second clock read: Unix milliseconds = those of
/// an origin plus the stopwatch time since it. The writer takes a new origin at every flush, so
/// a step of the system clock (NTP, a resumed VM) shows in the log within a flush interval.
/// With a test's <see cref="TimeProvider"/> the provider's own time is used as it is.
/// </summary>
internal sealed class QueryLogClock
{
    private readonly TimeProvider _time;
    private readonly bool _system;
    private Origin _origin;

    public QueryLogClock(TimeProvider time)
    {
        _time = time;
        _system = ReferenceEquals(time, TimeProvider.System);
        _origin = Now();
    }

    /// <summary>Unix milliseconds at <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp; 0: now).</summary>
    public long UnixMilliseconds(long timestamp)
    {
        if (!_system)
        {
            return _time.GetUtcNow().ToUnixTimeMilliseconds();
        }

        Origin origin = Volatile.Read(ref _origin);
        if (timestamp == 0)
        {
            timestamp = Stopwatch.GetTimestamp();
        }

        return origin.UnixMilliseconds + (timestamp - origin.Timestamp) * 1000 / Stopwatch.Frequency;
    }

    /// <summary>Takes a new origin (the writer's thread, once a flush).</summary>
    public void Resync()
    {
        if (_system)
        {
            Volatile.Write(ref _origin, Now());
        }
    }

    private static Origin Now() => new(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Stopwatch.GetTimestamp());

    private sealed record Origin(long UnixMilliseconds, long Timestamp);
}
