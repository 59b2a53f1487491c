using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>Pausing and resuming blocking is logged: who, for how long, until when, and when a pause ends by itself.</summary>
[TestClass]
public sealed class BlockingPauseLogTests
{
    private static string[] Messages(FakeLogger<BlockingPause> logger) => [.. logger.Collector.GetSnapshot().Select(r => r.Message)];

    [TestMethod]
    public void DevicePause_IsLogged_AndItsEndByItself_Once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero));
        var logger = new FakeLogger<BlockingPause>();
        using var pause = new BlockingPause(time, logger);

        pause.Pause("new-phone", TimeSpan.FromMinutes(30));
        bool paused = pause.IsPaused("new-phone");
        string[] afterPause = Messages(logger);
        time.Advance(TimeSpan.FromMinutes(29));
        string[] before = Messages(logger);
        time.Advance(TimeSpan.FromMinutes(1));
        bool pausedAfter = pause.IsPaused("new-phone");
        time.Advance(TimeSpan.FromHours(2));

        Assert.IsTrue(paused);
        Assert.IsFalse(pausedAfter);
        CollectionAssert.AreEqual(new[] { "Blocking paused for device 'new-phone' for 00:30:00, until 2026-11-24 20:30:00 +00:00: what it would block is answered and logged" }, afterPause, "a query's check logs nothing");
        Assert.HasCount(1, before, "nothing more until the end");
        CollectionAssert.AreEqual(
            new[] { afterPause[0], "Pause for device 'new-phone' ended at 2026-11-24 20:30:00 +00:00: blocking again" },
            Messages(logger));
    }

    [TestMethod]
    public void PauseForEveryone_ResumedEarly_SaysSo_AndDoesNotEndAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero));
        var logger = new FakeLogger<BlockingPause>();
        using var pause = new BlockingPause(time, logger);

        pause.PauseAll(TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromMinutes(2));
        pause.Resume(null);
        pause.Resume("kids-tablet");
        time.Advance(TimeSpan.FromMinutes(20));

        CollectionAssert.AreEqual(
            new[]
            {
                "Blocking paused for every client for 00:10:00, until 2026-11-24 20:10:00 +00:00: what it would block is answered and logged",
                "Blocking resumed for every client (the pause would have lasted until 2026-11-24 20:10:00 +00:00)",
                "Resume for device 'kids-tablet': blocking was not paused",
            },
            Messages(logger));
    }

    [TestMethod]
    public void SeveralPauses_EachEndIsLogged_InTheOrderTheyEnd()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero));
        var logger = new FakeLogger<BlockingPause>();
        using var pause = new BlockingPause(time, logger);

        pause.Pause("a", TimeSpan.FromMinutes(20));
        pause.Pause("b", TimeSpan.FromMinutes(5));
        pause.PauseAll(TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromMinutes(30));

        string[] ends = [.. Messages(logger).Where(m => m.Contains("ended", StringComparison.Ordinal))];
        CollectionAssert.AreEqual(
            new[]
            {
                "Pause for device 'b' ended at 2026-11-24 20:05:00 +00:00: blocking again",
                "Pause for every client ended at 2026-11-24 20:10:00 +00:00: blocking again",
                "Pause for device 'a' ended at 2026-11-24 20:20:00 +00:00: blocking again",
            },
            ends,
            string.Join("\n", Messages(logger)));
        Assert.IsEmpty(pause.Active);
    }
}
