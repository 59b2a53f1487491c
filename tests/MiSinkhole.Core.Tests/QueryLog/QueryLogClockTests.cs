using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Core.Tests.QueryLog;

[TestClass]
public sealed class QueryLogClockTests
{
    [TestMethod]
    public void SystemClock_TurnsAStopwatchTimestampIntoTheWallClockTimeOfThatInstant()
    {
        var clock = new QueryLogClock(TimeProvider.System);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long now = clock.UnixMilliseconds(Stopwatch.GetTimestamp());
        long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long fiveSecondsAgo = clock.UnixMilliseconds(Stopwatch.GetTimestamp() - 5 * Stopwatch.Frequency);

        // The origin's two clock reads may be a little apart; a wrong unit would be off by orders of magnitude.
        Assert.IsTrue(now >= before - 50 && now <= after + 50, $"{now} not within [{before}, {after}]");
        Assert.IsTrue(Math.Abs(now - fiveSecondsAgo - 5000) <= 50, $"{now - fiveSecondsAgo} ms apart, not 5000");
        Assert.IsTrue(Math.Abs(clock.UnixMilliseconds(0) - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) <= 50, "0 means now");
    }

    [TestMethod]
    public void Resync_KeepsTheTimeOfAnInstant()
    {
        var clock = new QueryLogClock(TimeProvider.System);
        long instant = Stopwatch.GetTimestamp();
        long first = clock.UnixMilliseconds(instant);
        clock.Resync();
        Assert.IsTrue(Math.Abs(clock.UnixMilliseconds(instant) - first) <= 50);
    }

    [TestMethod]
    public void TestTimeProvider_IsUsedAsItIs()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var clock = new QueryLogClock(time);
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.AreEqual(time.GetUtcNow().ToUnixTimeMilliseconds(), clock.UnixMilliseconds(Stopwatch.GetTimestamp()));
    }
}
