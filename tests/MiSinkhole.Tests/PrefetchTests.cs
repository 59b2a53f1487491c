using System.Diagnostics.Metrics;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Prefetch through the running daemon: a popular name is refreshed before it expires, so its clients never wait on upstream.</summary>
[TestClass]
public sealed class PrefetchTests
{
    private static FakeReply Answer(FakeQuery query, uint ttl)
    {
        RawMessage response = RawMessage.ResponseTo(query.Raw);
        if (query.Name == "cloaked.example")
        {
            response.Cname(null, ttl, "data.mistat.xiaomi.com").A("data.mistat.xiaomi.com", ttl, "192.0.2.9");
        }
        else
        {
            response.A(null, ttl, "192.0.2.1");
        }

        return response.ToArray();
    }

    private static int Asked(FakeUpstream upstream, string name) => upstream.Received.Count(q => q.Name == name);

    /// <summary>Asks <paramref name="name"/> every 50 ms until <paramref name="done"/> holds (or 30 s pass); returns the last answer.</summary>
    private static async Task<DnsMessage> AskUntilAsync(RunningDaemon daemon, string name, Func<bool> done)
    {
        DnsMessage answer;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        long deadline = Environment.TickCount64 + 30_000;
        do
        {
            answer = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query(name, 1)));
        }
        while (!done() && Environment.TickCount64 < deadline && await poll.WaitForNextTickAsync());

        return answer;
    }

    [TestMethod]
    public async Task PopularName_IsRefreshedBeforeItExpires_WithoutAClientQueryGoingUpstream()
    {
        // 12 s: its last tenth (1.2 s) leaves room for many polls even on a loaded machine.
        await using var upstream = new FakeUpstream { Handler = q => Answer(q, 12) };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        IMeterFactory meters = daemon.Get<IMeterFactory>();
        using var misses = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.misses");
        using var refreshes = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.refreshes");
        for (int i = 0; i <= DnsCache.PopularHits; i++)
        {
            await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("popular.example", 1));
        }

        await AskUntilAsync(daemon, "popular.example", () => Asked(upstream, "popular.example") >= 2);
        DnsMessage next = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("popular.example", 1)));
        misses.RecordObservableInstruments();

        Assert.AreEqual(2, Asked(upstream, "popular.example"), "the first query, then the prefetch");
        Assert.AreEqual(1L, misses.LastMeasurement?.Value, "only the first query missed the cache: the refresh came from no client's query");
        Assert.IsTrue(refreshes.GetMeasurementSnapshot().Any(m => (string?)m.Tags["reason"] == "prefetch" && (string?)m.Tags["result"] == "refreshed"));
        Assert.AreEqual("192.0.2.1", ((ARecord)next.AnswerRecords.Single()).Address.ToString(), "the next answer is a cache hit of the refreshed entry");
    }

    [TestMethod]
    public async Task NameWhoseAnswerIsBlocked_IsNeverPrefetched()
    {
        await using var upstream = new FakeUpstream { Handler = q => Answer(q, 8) };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig().Upstream(upstream.Address).List("telemetry", "telemetry.txt").Policy("strict", block: ["telemetry"]).DefaultPolicy("strict").Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "data.mistat.xiaomi.com\n" });
        using var misses = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.cache.misses");

        // The blocked name itself never reaches the cache; the cloaked one is cached, but every hit is turned into the sinkhole answer.
        DnsMessage last = await AskUntilAsync(daemon, "cloaked.example", () =>
        {
            misses.RecordObservableInstruments();
            return misses.LastMeasurement?.Value >= 2; // expired and asked again: its last tenth of TTL went by without a prefetch
        });
        for (int i = 0; i < 5; i++)
        {
            await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("data.mistat.xiaomi.com", 1));
        }

        Assert.AreEqual("0.0.0.0", ((ARecord)last.AnswerRecords.Single()).Address.ToString(), "the CNAME target is blocked");
        Assert.AreEqual(2, Asked(upstream, "cloaked.example"), "asked once per miss, never prefetched");
        Assert.AreEqual(0, Asked(upstream, "data.mistat.xiaomi.com"), "a blocked name never goes upstream");
    }
}
