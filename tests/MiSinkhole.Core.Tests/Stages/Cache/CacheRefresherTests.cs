using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Cache;

/// <summary>Background refreshes against a real (loopback) upstream: bounded, stored when answered, counted by result.</summary>
[TestClass]
public sealed class CacheRefresherTests
{
    private static (CacheRefresher Refresher, DnsCache Cache) Create(FakeUpstream upstream, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        var options = new UpstreamOptions
        {
            Servers = [UpstreamServer.Plain(System.Net.IPEndPoint.Parse(upstream.Address))],
            AttemptTimeout = TimeSpan.FromSeconds(2),
            Timeout = TimeSpan.FromSeconds(2),
        };
        var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), NullLogger<UpstreamResolver>.Instance, meters);
        var cache = new DnsCache(new CacheOptions(), TimeProvider.System, meters);
        return (new CacheRefresher(resolver, cache, NullLogger<CacheRefresher>.Instance, meters), cache);
    }

    private static async Task UntilAsync(Func<bool> done)
    {
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        long deadline = Environment.TickCount64 + 15_000;
        while (!done() && Environment.TickCount64 < deadline)
        {
            await poll.WaitForNextTickAsync();
        }
    }

    private static int Counted(MetricCollector<long> refreshes, string result) =>
        refreshes.GetMeasurementSnapshot().Where(m => (string?)m.Tags["result"] == result).Sum(m => (int)m.Value);

    [TestMethod]
    public async Task AtMostFourRunAtOnce_TheRestAreSkipped_AndThoseWithoutAnswerCountAsFailed()
    {
        await using var upstream = new FakeUpstream { Handler = _ => FakeReply.Drop };
        var meters = TestMeters.Factory();
        using var refreshes = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.refreshes");
        (CacheRefresher refresher, _) = Create(upstream, meters);

        bool[] started = [.. Enumerable.Range(0, CacheRefresher.MaxInFlight + 1)
            .Select(i => refresher.TryStart(DnsName.FromText($"n{i}.example"), 1, 1, false, false, RefreshReason.Prefetch))];
        await UntilAsync(() => refresher.Running == 0 && Counted(refreshes, "failed") == CacheRefresher.MaxInFlight);

        CollectionAssert.AreEqual(new[] { true, true, true, true, false }, started);
        Assert.AreEqual(1, Counted(refreshes, "skipped"));
        Assert.AreEqual(CacheRefresher.MaxInFlight, Counted(refreshes, "failed"), "the silent upstream answered none");
        Assert.AreEqual("prefetch", refreshes.GetMeasurementSnapshot()[0].Tags["reason"]);
    }

    [TestMethod]
    public async Task AnsweredRefresh_IsStored()
    {
        await using var upstream = new FakeUpstream();
        var meters = TestMeters.Factory();
        using var refreshes = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.refreshes");
        (CacheRefresher refresher, DnsCache cache) = Create(upstream, meters);
        byte[] name = DnsName.FromText("fresh.example");

        Assert.IsTrue(refresher.TryStart(name, 1, 1, false, false, RefreshReason.Stale));
        await UntilAsync(() => Counted(refreshes, "refreshed") == 1);

        Assert.IsTrue(cache.TryGet(name, 1, 1, false, false, out DnsAnswer? answer, out _));
        Assert.AreEqual(1, answer!.AnswerCount);
        Assert.AreEqual("stale", refreshes.LastMeasurement?.Tags["reason"]);
        Assert.AreEqual(0, refresher.Running);
    }
}
