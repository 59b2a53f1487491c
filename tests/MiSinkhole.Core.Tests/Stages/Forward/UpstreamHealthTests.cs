using System.Diagnostics;
using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>The bookkeeping the strategies rank by: down after enough failures, probe back-off, score and its decaying penalty.</summary>
[TestClass]
public sealed class UpstreamHealthTests
{
    private static long After(long timestamp, TimeSpan elapsed) => timestamp + (long)(elapsed.TotalSeconds * Stopwatch.Frequency);

    [TestMethod]
    public void ProbeBackOff_DoublesUpToTheCap_AndStartsOverWithTheNextOutage()
    {
        var health = new UpstreamHealth();
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < UpstreamHealth.DownAfter; i++)
        {
            health.Failed(now);
        }

        Assert.IsTrue(health.IsDown);
        TimeSpan[] waits = [.. Enumerable.Range(0, 10).Select(_ => health.NextProbeDelay())];
        CollectionAssert.AreEqual(
            new[] { 0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30 },
            waits.Select(w => w.TotalSeconds).ToArray());

        Assert.IsTrue(health.Answered(out _, out _));
        for (int i = 0; i < UpstreamHealth.DownAfter; i++)
        {
            health.Failed(now);
        }

        Assert.AreEqual(TimeSpan.FromMilliseconds(500), health.NextProbeDelay(), "a new outage starts from the first wait");
    }

    [TestMethod]
    public void Score_IsTheLatencyAverage_PlusAPenaltyThatHalvesEvery30Seconds()
    {
        var health = new UpstreamHealth();
        long now = Stopwatch.GetTimestamp();
        Assert.AreEqual(UpstreamHealth.MinScoreMs, health.Score(now), "never measured: the best score, so it gets tried");

        health.Latency(20);
        health.Latency(30);
        Assert.AreEqual(23, health.Score(now), 0.001, "20 + 0.3 × (30 − 20)");

        health.Penalize(now);
        Assert.AreEqual(1023, health.Score(now), 0.001);
        Assert.AreEqual(523, health.Score(After(now, TimeSpan.FromSeconds(30))), 0.5, "half the penalty after a half-life");
        Assert.AreEqual(23, health.Score(After(now, TimeSpan.FromMinutes(30))), 0.01, "earned back");

        for (int i = 0; i < 50; i++)
        {
            health.Penalize(now);
        }

        Assert.AreEqual(23 + UpstreamHealth.MaxPenaltyMs, health.Score(now), 0.001, "the penalty is capped");
        Assert.IsFalse(health.IsDown, "a penalty alone (SERVFAIL) is no outage");
    }
}
