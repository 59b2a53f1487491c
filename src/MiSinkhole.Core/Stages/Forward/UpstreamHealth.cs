using System.Diagnostics;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// How one upstream server is doing. It is "down" after <see cref="DownAfter"/> attempts in a
/// row got no answer (timeouts, socket errors), and "up" again at its next answer; only the
/// transitions are reported, so a dead upstream is logged once, not once per query. While down it
/// is skipped (unless every server of its group is down) and probed in the background with
/// exponential back-off (<see cref="NextProbeDelay"/>). For the strategies it keeps a
/// <see cref="Score"/>: an EWMA of its answers' latency plus a penalty for recent failures
/// (no answer, SERVFAIL, REFUSED) that halves every <see cref="PenaltyHalfLife"/>, so a failing
/// server loses weight for a while and then earns it back. An answer while up costs one read of a
/// field and two plain writes; races between threads lose an update at worst, never the state.
/// </summary>
public sealed class UpstreamHealth
{
    /// <summary>Attempts in a row without an answer before the server counts as down.</summary>
    public const int DownAfter = 3;

    /// <summary>Weight of the newest latency sample in the average.</summary>
    internal const double LatencyWeight = 0.3;

    /// <summary>What one failure adds to the score (about what a timed-out attempt costs a client).</summary>
    internal const double FailurePenaltyMs = 1000;

    /// <summary>The penalty never exceeds this, so a server that failed a lot recovers in a few half-lives.</summary>
    internal const double MaxPenaltyMs = 10_000;

    /// <summary>The score never goes below this: loopback and LAN servers under a millisecond count as equals.</summary>
    internal const double MinScoreMs = 1;

    internal static readonly TimeSpan PenaltyHalfLife = TimeSpan.FromSeconds(30);

    /// <summary>First probe of a server that went down; each failed probe doubles the wait.</summary>
    internal static readonly TimeSpan FirstProbe = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between probes: a server back from an outage is found within this.</summary>
    internal static readonly TimeSpan MaxProbe = TimeSpan.FromSeconds(30);

    private int _failures;
    private int _down;
    private long _downSince;
    private double _latencyMs;
    private double _penaltyMs;
    private long _penaltyAt;
    private int _probeRound;
    private int _probing;

    /// <summary>True between the outage's start (<see cref="Failed"/> returned true) and its end.</summary>
    public bool IsDown => Volatile.Read(ref _down) != 0;

    /// <summary>Counts an attempt that got no answer; true exactly once per outage, when it begins.</summary>
    public bool Failed(long timestamp)
    {
        Penalize(timestamp);
        if (Interlocked.Increment(ref _failures) < DownAfter || Interlocked.CompareExchange(ref _down, 1, 0) != 0)
        {
            return false;
        }

        Volatile.Write(ref _probeRound, 0);
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

    /// <summary>Folds the latency of a good answer into the average (the first sample is taken as it is).</summary>
    public void Latency(double milliseconds)
    {
        double average = Volatile.Read(ref _latencyMs);
        Volatile.Write(ref _latencyMs, average <= 0 ? Math.Max(milliseconds, double.Epsilon) : average + (LatencyWeight * (milliseconds - average)));
    }

    /// <summary>An answer that is no use (SERVFAIL, REFUSED, an extended error) or no answer: the server loses weight.</summary>
    public void Penalize(long timestamp)
    {
        double penalty = Math.Min(PenaltyAt(timestamp) + FailurePenaltyMs, MaxPenaltyMs);
        Volatile.Write(ref _penaltyMs, penalty);
        Volatile.Write(ref _penaltyAt, timestamp);
    }

    /// <summary>
    /// The server's recent cost in milliseconds, lower is better: average latency plus the decayed
    /// failure penalty, at least <see cref="MinScoreMs"/>. A server never measured scores the
    /// minimum, so it gets asked and measured soon.
    /// </summary>
    public double Score(long timestamp) => Math.Max(Volatile.Read(ref _latencyMs) + PenaltyAt(timestamp), MinScoreMs);

    /// <summary>The wait before the next probe: <see cref="FirstProbe"/>, doubled per probe since the outage began, at most <see cref="MaxProbe"/>.</summary>
    public TimeSpan NextProbeDelay()
    {
        int round = Math.Min(Interlocked.Increment(ref _probeRound) - 1, 16);
        return TimeSpan.FromTicks(Math.Min(FirstProbe.Ticks << round, MaxProbe.Ticks));
    }

    /// <summary>Claims the right to run this server's probe loop; false when one runs already.</summary>
    internal bool TryStartProbing() => Interlocked.CompareExchange(ref _probing, 1, 0) == 0;

    internal void ProbingEnded() => Volatile.Write(ref _probing, 0);

    private double PenaltyAt(long timestamp)
    {
        double penalty = Volatile.Read(ref _penaltyMs);
        if (penalty <= 0)
        {
            return 0;
        }

        double age = Stopwatch.GetElapsedTime(Volatile.Read(ref _penaltyAt), timestamp).TotalSeconds;
        return age <= 0 ? penalty : penalty * Math.Pow(2, -age / PenaltyHalfLife.TotalSeconds);
    }
}
