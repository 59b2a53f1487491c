namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Whether one upstream server answers: it is "down" after <see cref="DownAfter"/> attempts in a
/// row got no answer (timeouts, socket errors), and "up" again at its next answer. Only the
/// transitions are reported, so a dead upstream is logged once, not once per query. An answer
/// while up costs one read of a field; a failure one interlocked increment.
/// </summary>
public sealed class UpstreamHealth
{
    /// <summary>Attempts in a row without an answer before the server counts as down.</summary>
    public const int DownAfter = 3;

    private int _failures;
    private int _down;
    private long _downSince;

    /// <summary>Counts an attempt that got no answer; true exactly once per outage, when it begins.</summary>
    public bool Failed(long timestamp)
    {
        if (Interlocked.Increment(ref _failures) < DownAfter || Interlocked.CompareExchange(ref _down, 1, 0) != 0)
        {
            return false;
        }

        Volatile.Write(ref _downSince, timestamp);
        return true;
    }

    /// <summary>Counts an answer; true exactly once per outage, when it ends (<paramref name="downSince"/>: when it began).</summary>
    public bool Answered(out long downSince, out int failures)
    {
        downSince = 0;
        failures = 0;
        if (Volatile.Read(ref _failures) == 0)
        {
            return false; // the usual case: no write, so answers on many threads share the line read-only
        }

        failures = Interlocked.Exchange(ref _failures, 0);
        if (Interlocked.CompareExchange(ref _down, 0, 1) != 1)
        {
            return false;
        }

        downSince = Volatile.Read(ref _downSince);
        return true;
    }
}
