using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Serve-stale (RFC 8767) through the running daemon: an upstream that dies or hangs, names whose
/// answers have expired, and dig reading the TTL and the Extended DNS Error.
/// </summary>
[TestClass]
public sealed class ServeStaleTests
{
    private const string Stale = "EDE: 3 (Stale Answer)";

    /// <summary>up.example A and gone.example (NXDOMAIN) and up.example AAAA (NODATA), all with a 1 s TTL, so they expire at once.</summary>
    internal static FakeReply ShortLived(FakeQuery query, uint ttl = 1)
    {
        RawMessage response = query.Name == "gone.example" ? RawMessage.ResponseTo(query.Raw, rcode: 3) : RawMessage.ResponseTo(query.Raw);
        if (query.Name != "gone.example" && query.Type == 1)
        {
            response.A(null, ttl, "192.0.2.1");
        }
        else
        {
            response.Soa("example", ttl, ttl);
        }

        return (query.HasEdns ? response.Opt(dnssecOk: query.DnssecOk) : response).ToArray();
    }

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, params (string Key, string? Value)[] settings) =>
        RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).SetAll(settings).Values);

    /// <summary>Asks until <paramref name="done"/> holds for dig's answer (or 30 s pass), and returns that answer.</summary>
    internal static async Task<DigResult> DigUntilAsync(RunningDaemon daemon, Func<DigResult, bool> done, params string[] arguments)
    {
        DigResult dig;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        long deadline = Environment.TickCount64 + 30_000;
        do
        {
            dig = await Dig.RunAsync(daemon.EndPoint, arguments);
        }
        while (!done(dig) && Environment.TickCount64 < deadline && await poll.WaitForNextTickAsync());

        return dig;
    }

    private static int Ttl(string record) => int.Parse(record.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    [TestMethod]
    public async Task KilledUpstream_ExpiredNamesAnswerStaleWithEde_PositiveAndNegative_ThenFreshWhenItReturns()
    {
        var upstream = new FakeUpstream { Handler = q => ShortLived(q) };
        int port = upstream.EndPoint.Port;
        await using RunningDaemon daemon = await StartAsync(upstream);
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "A")).Status);
        Assert.AreEqual("NXDOMAIN", (await Dig.RunAsync(daemon.EndPoint, "gone.example", "A")).Status);
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "AAAA")).Status);
        await upstream.DisposeAsync();

        DigResult positive = await DigUntilAsync(daemon, d => d.Output.Contains(Stale, StringComparison.Ordinal), "up.example", "A");
        DigResult nxdomain = await DigUntilAsync(daemon, d => d.Output.Contains("EDE: 19", StringComparison.Ordinal), "gone.example", "A");
        DigResult nodata = await DigUntilAsync(daemon, d => d.Output.Contains(Stale, StringComparison.Ordinal), "up.example", "AAAA");

        StringAssert.Contains(positive.Output, Stale);
        Assert.AreEqual("NOERROR", positive.Status);
        Assert.AreEqual("up.example. 30 IN A 192.0.2.1", positive.Answers.Single(), "the expired answer, with the stale TTL");
        StringAssert.Contains(nxdomain.Output, "EDE: 19 (Stale NXDOMAIN Answer)", "RFC 8914's code for a stale NXDOMAIN");
        Assert.AreEqual("NXDOMAIN", nxdomain.Status);
        Assert.AreEqual(30, Ttl(nxdomain.Authority.Single()));
        StringAssert.Contains(nodata.Output, Stale);
        Assert.AreEqual("NOERROR", nodata.Status);
        Assert.IsEmpty(nodata.Answers);
        Assert.AreEqual(30, Ttl(nodata.Authority.Single()));

        await using var back = new FakeUpstream(port: port) { Handler = q => ShortLived(q, ttl: 300) };
        DigResult fresh = await DigUntilAsync(daemon, d => d.Status == "NOERROR" && !d.Output.Contains("EDE:", StringComparison.Ordinal), "up.example", "A");

        Assert.DoesNotContain("EDE:", fresh.Output, "the upstream is back: a fresh answer");
        Assert.AreEqual(300, Ttl(fresh.Answers.Single()));
        Assert.IsGreaterThan(0, back.Count);
    }

    [TestMethod]
    public async Task ServeStaleOff_KilledUpstream_ExpiredNameGetsServfail()
    {
        var upstream = new FakeUpstream { Handler = q => ShortLived(q) };
        await using RunningDaemon daemon = await StartAsync(upstream, ("Cache:ServeStale", "false"));
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "A")).Status);
        await upstream.DisposeAsync();

        DigResult expired = await DigUntilAsync(daemon, d => d.Status != "NOERROR", "up.example", "A");

        Assert.AreEqual("SERVFAIL", expired.Status);
        Assert.DoesNotContain("Stale", expired.Output);
    }

    [TestMethod]
    public async Task StaleMaxAgeExceeded_TheStaleAnswerGivesWayToServfail()
    {
        var upstream = new FakeUpstream { Handler = q => ShortLived(q) };
        await using RunningDaemon daemon = await StartAsync(upstream, ("Cache:StaleMaxAge", "8s"));
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "A")).Status);
        await upstream.DisposeAsync();

        DigResult stale = await DigUntilAsync(daemon, d => d.Output.Contains(Stale, StringComparison.Ordinal) || d.Status == "SERVFAIL", "up.example", "A");
        DigResult gone = await DigUntilAsync(daemon, d => d.Status != "NOERROR", "up.example", "A");

        StringAssert.Contains(stale.Output, Stale, "served stale within StaleMaxAge");
        Assert.AreEqual("SERVFAIL", gone.Status, "past StaleMaxAge the entry is gone");
    }

    [TestMethod]
    public async Task HangingUpstream_TheStaleAnswerComesAfterTheClientWait_NotAtTheUpstreamTimeout()
    {
        await using var upstream = new FakeUpstream { Handler = q => ShortLived(q) };
        await using RunningDaemon daemon = await StartAsync(upstream, ("Upstreams:Timeout", "20s"), ("Upstreams:AttemptTimeout", "20s"));
        using var stale = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.cache.stale_answers");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "A")).Status);
        upstream.Handler = _ => FakeReply.Drop;

        // dig waits 3 s: the upstream's 20 s would leave it without an answer.
        DigResult answer = await DigUntilAsync(daemon, d => d.Output.Contains(Stale, StringComparison.Ordinal) || d.Status is null, "up.example", "A");

        StringAssert.Contains(answer.Output, Stale);
        Assert.AreEqual("up.example. 30 IN A 192.0.2.1", answer.Answers.Single());
        Assert.IsTrue(stale.GetMeasurementSnapshot().Any(m => (string?)m.Tags["reason"] == "timeout"), "served because no upstream answered within the client wait");
        Assert.IsTrue(upstream.Received.Count(q => q.Name == "up.example") >= 2, "the refresh was asked upstream");
    }

    [TestMethod]
    public async Task SlowUpstream_TheExchangeTheClientStoppedWaitingFor_RefreshesTheCache()
    {
        await using var upstream = new FakeUpstream { Handler = q => ShortLived(q) };
        await using RunningDaemon daemon = await StartAsync(upstream, ("Upstreams:Timeout", "20s"), ("Upstreams:AttemptTimeout", "20s"));
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "up.example", "A")).Status);
        upstream.Handler = q => new FakeReply(ShortLived(q, ttl: 300).Bytes, Delay: TimeSpan.FromSeconds(2.5));

        DigResult stale = await DigUntilAsync(daemon, d => d.Output.Contains(Stale, StringComparison.Ordinal) || d.Status is null, "up.example", "A");
        DigResult fresh = await DigUntilAsync(daemon, d => d.Status == "NOERROR" && !d.Output.Contains("EDE:", StringComparison.Ordinal), "up.example", "A");

        StringAssert.Contains(stale.Output, Stale, "the upstream answers after the client wait");
        Assert.DoesNotContain("EDE:", fresh.Output);
        Assert.IsGreaterThan(30, Ttl(fresh.Answers.Single()), "the refreshed answer, not the stale one");
        Assert.AreEqual(2, upstream.Received.Count(q => q.Name == "up.example"), "the first query, then the one exchange that went on after the stale answer and refreshed the cache");
    }
}
