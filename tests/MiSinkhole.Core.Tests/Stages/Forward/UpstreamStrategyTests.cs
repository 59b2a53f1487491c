using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// Upstreams:Strategy against real loopback servers: Failover skips a down server and takes it
/// back after a background probe; ParallelBest takes the faster of two and ranks a failing server
/// down; LoadBalance sends most queries to the faster server. Assertions count queries, never time.
/// </summary>
[TestClass]
public sealed class UpstreamStrategyTests
{
    private static UpstreamResolver Create(UpstreamStrategy strategy, System.Diagnostics.Metrics.IMeterFactory? meters, params FakeUpstream[] upstreams) =>
        new(new UpstreamOptions
        {
            Servers = [.. upstreams.Select(u => UpstreamServer.Plain(u.EndPoint))],
            Strategy = strategy,
            AttemptTimeout = TimeSpan.FromMilliseconds(250),
            Timeout = TimeSpan.FromSeconds(2),
        }, new UpstreamFactory(new SocketUdpExchange()), NullLogger<UpstreamResolver>.Instance, meters ?? TestMeters.Factory());

    private static Task<DnsAnswer?> AskAsync(UpstreamResolver resolver, string name) =>
        resolver.ResolveAsync(DnsName.FromText(name), 1, 1, dnssecOk: false, checkingDisabled: false);

    private static bool Healthy(UpstreamResolver resolver, FakeUpstream upstream) =>
        resolver.Status().Single(s => s.Server == upstream.Address).Healthy;

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.IsLessThan(20, clock.Elapsed.TotalSeconds, $"waited 20 s for {what}");
            await Task.Delay(20);
        }
    }

    private static FakeReply Answer(FakeQuery query, string address, TimeSpan delay = default) =>
        new(RawMessage.ResponseTo(query.Raw).A(null, 60, address).ToArray(), delay);

    private static int Asked(FakeUpstream upstream, string prefix) => upstream.Received.Count(q => q.Name.StartsWith(prefix, StringComparison.Ordinal));

    [TestMethod]
    public async Task Failover_SkipsADownServer_AndTakesItBackAfterAProbe()
    {
        await using var first = new FakeUpstream { Handler = _ => FakeReply.Drop };
        await using var second = new FakeUpstream();
        await using UpstreamResolver resolver = Create(UpstreamStrategy.Failover, null, first, second);

        for (int i = 0; i < UpstreamHealth.DownAfter; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"fail{i}.example"), "the second answers");
        }

        Assert.AreEqual(UpstreamHealth.DownAfter, Asked(first, "fail"), "in order: the first was asked each time");
        Assert.IsFalse(Healthy(resolver, first));
        for (int i = 0; i < 5; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"skip{i}.example"));
        }

        Assert.AreEqual(0, Asked(first, "skip"), "a down server is skipped while another answers");
        Assert.AreEqual(5, Asked(second, "skip"));

        first.Handler = FakeUpstream.DefaultAnswer;
        await WaitForAsync(() => Healthy(resolver, first), "the probe to bring the first back");
        Assert.IsTrue(first.Received.Any(q => q.Name.Length == 0 && q.Type == DnsRecordType.NS), "the probe asks . NS");

        Assert.IsNotNull(await AskAsync(resolver, "back.example"));
        Assert.AreEqual(1, Asked(first, "back"), "first in order again");
        Assert.AreEqual(0, Asked(second, "back"));
    }

    [TestMethod]
    public async Task AllDown_AreStillAsked()
    {
        await using var first = new FakeUpstream { Handler = _ => FakeReply.Drop };
        await using var second = new FakeUpstream { Handler = _ => FakeReply.Drop };
        var meters = TestMeters.Factory();
        using var healthy = new MetricCollector<int>(meters, "MiSinkhole", "misinkhole.upstream.healthy");
        await using UpstreamResolver resolver = Create(UpstreamStrategy.Failover, meters, first, second);

        for (int i = 0; i < UpstreamHealth.DownAfter; i++)
        {
            Assert.IsNull(await AskAsync(resolver, $"fail{i}.example"));
        }

        Assert.IsFalse(Healthy(resolver, first) || Healthy(resolver, second));
        healthy.RecordObservableInstruments();
        CollectionAssert.AreEqual(new[] { 0, 0 }, healthy.GetMeasurementSnapshot().Where(m => Equals(m.Tags["group"], "default")).Select(m => m.Value).ToArray(), "the gauge shows both down");
        second.Handler = FakeUpstream.DefaultAnswer;

        Assert.IsNotNull(await AskAsync(resolver, "still.example"), "with every server down, all are still tried");
        Assert.AreEqual(1, Asked(first, "still"));
        Assert.AreEqual(1, Asked(second, "still"));
        Assert.IsTrue(Healthy(resolver, second), "its answer ended its outage");
    }

    [TestMethod]
    public async Task ParallelBest_AsksBoth_TheFastAnswerWins_TheSlowStillCounts()
    {
        await using var slow = new FakeUpstream();
        slow.Handler = q => Answer(q, "192.0.2.99", TimeSpan.FromMilliseconds(150));
        await using var fast = new FakeUpstream();
        fast.Handler = q => Answer(q, "192.0.2.1");
        var meters = TestMeters.Factory();
        using var exchanges = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.queries");
        await using UpstreamResolver resolver = Create(UpstreamStrategy.ParallelBest, meters, slow, fast);

        DnsAnswer? answer = await AskAsync(resolver, "race.example");

        Assert.IsNotNull(answer);
        CollectionAssert.AreEqual(new byte[] { 192, 0, 2, 1 }, answer.Message[^4..], "the fast server's answer");
        Assert.AreEqual(1, Asked(fast, "race"));
        await WaitForAsync(() => Asked(slow, "race") == 1, "the slow server to be asked too");
        await WaitForAsync(() => exchanges.GetMeasurementSnapshot().Any(m => Equals(m.Tags["upstream"], slow.Address) && Equals(m.Tags["result"], "ok")),
            "the abandoned exchange to record its result");
    }

    [TestMethod]
    public async Task ParallelBest_ServerAnsweringServfail_LosesWeight()
    {
        await using var good1 = new FakeUpstream();
        await using var good2 = new FakeUpstream();
        await using var failing = new FakeUpstream { Handler = q => RawMessage.ResponseTo(q.Raw, rcode: DnsResponseCode.ServFail).ToArray() };
        await using UpstreamResolver resolver = Create(UpstreamStrategy.ParallelBest, null, failing, good1, good2);

        for (int i = 0; i < 100; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"pb{i}.example"), "a good server answers every query");
        }

        // Each query asks two; once the failing one has failed, its weight is about a millionth of the others'.
        Assert.IsLessThanOrEqualTo(10, Asked(failing, "pb"), $"failing {Asked(failing, "pb")}, good {Asked(good1, "pb")}/{Asked(good2, "pb")}");
        Assert.IsGreaterThan(80, Asked(good1, "pb"));
        Assert.IsGreaterThan(80, Asked(good2, "pb"));
        Assert.IsTrue(Healthy(resolver, failing), "SERVFAIL is an answer: weight lost, not down");
    }

    [TestMethod]
    public async Task LoadBalance_SendsMostQueriesToTheFasterServer()
    {
        await using var fast = new FakeUpstream();
        await using var slow = new FakeUpstream();
        slow.Handler = q => Answer(q, "192.0.2.99", TimeSpan.FromMilliseconds(100));
        await using UpstreamResolver resolver = Create(UpstreamStrategy.LoadBalance, null, slow, fast);

        for (int i = 0; i < 200; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"lb{i}.example"));
        }

        int toFast = Asked(fast, "lb");
        int toSlow = Asked(slow, "lb");
        Assert.AreEqual(200, toFast + toSlow, "one server per query while both answer");
        Assert.IsGreaterThanOrEqualTo(140, toFast, $"fast {toFast}, slow {toSlow}");
        Assert.IsGreaterThanOrEqualTo(1, toSlow, "the slower server still gets a share");
    }

    [TestMethod]
    public async Task LoadBalance_SilentServer_HandsOverToTheNext()
    {
        await using var silent = new FakeUpstream { Handler = _ => FakeReply.Drop };
        await using var good = new FakeUpstream();
        await using UpstreamResolver resolver = Create(UpstreamStrategy.LoadBalance, null, silent, good);

        for (int i = 0; i < 10; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"lb{i}.example"), "the next-best is tried within the budget");
        }

        Assert.AreEqual(10, Asked(good, "lb"));
        Assert.IsLessThanOrEqualTo(UpstreamHealth.DownAfter, Asked(silent, "lb"), "down after that many, then skipped");
    }
}
