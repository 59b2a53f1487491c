using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Sinkhole answers for listed names, through the running daemon with dig.</summary>
[TestClass]
public sealed class BlockingTests
{
    private const string TelemetryList = """
        # a plain-domain list
        tracking.miui.com
        data.mistat.xiaomi.com   # MiStat
        """;

    private const string HostsList = """
        127.0.0.1 localhost
        0.0.0.0 ads.example.net  more.ads.example.net
        :: v6.ads.example.net
        """;

    private static async Task<RunningDaemon> StartAsync(FakeUpstream upstream, string mode = "NullIp") =>
        await RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("telemetry", "telemetry.txt")
                .List("ads", "ads.hosts")
                .Policy("strict", block: ["telemetry", "ads"], blockResponse: mode, blockTtl: "90s")
                .DefaultPolicy("strict")
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = TelemetryList, ["ads.hosts"] = HostsList });

    [TestMethod]
    public async Task NullIp_AnswersZeroAddresses_AndNodataWithSoaForOtherTypes_NeverAskingUpstream()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult a = await Dig.RunAsync(daemon.EndPoint, "a.b.Tracking.MIUI.com", "A");
        DigResult aaaa = await Dig.RunAsync(daemon.EndPoint, "+tcp", "tracking.miui.com", "AAAA");
        DigResult txt = await Dig.RunAsync(daemon.EndPoint, "data.mistat.xiaomi.com", "TXT");
        DigResult hosts = await Dig.RunAsync(daemon.EndPoint, "more.ads.example.net", "A");

        Assert.AreEqual("a.b.Tracking.MIUI.com. 90 IN A 0.0.0.0", a.Answers.Single(), a.Output);
        Assert.AreEqual("tracking.miui.com. 90 IN AAAA ::", aaaa.Answers.Single(), aaaa.Output);
        Assert.AreEqual("NOERROR", txt.Status);
        Assert.IsEmpty(txt.Answers);
        StringAssert.Contains(txt.Authority.Single(), "SOA");
        Assert.AreEqual("more.ads.example.net. 90 IN A 0.0.0.0", hosts.Answers.Single());
        Assert.AreEqual(0, upstream.Count, "blocked names are never sent upstream, over UDP or TCP");
    }

    [TestMethod]
    public async Task NxDomainMode_AnswersNxdomainWithSoa_AndEdeNamesTheList()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, "NxDomain");

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "v6.ads.example.net", "A");
        DnsMessage raw = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("tracking.miui.com", 1)));

        Assert.AreEqual("NXDOMAIN", dig.Status, dig.Output);
        StringAssert.Contains(dig.Authority.Single(), "SOA");
        StringAssert.Contains(dig.Output, "EDE: 15 (Blocked): (ads)");
        Assert.AreEqual(ReturnCode.NxDomain, raw.ReturnCode);
        Assert.IsFalse(raw.IsEDnsEnabled, "no OPT (so no EDE) for a client without EDNS");
        Assert.AreEqual(0, upstream.Count);
    }

    [TestMethod]
    public async Task UnlistedNames_AndParentsOfListedNames_AreForwarded()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult parent = await Dig.RunAsync(daemon.EndPoint, "miui.com", "A");
        DigResult sibling = await Dig.RunAsync(daemon.EndPoint, "nottracking.miui.com", "A");
        DigResult localhost = await Dig.RunAsync(daemon.EndPoint, "localhost", "A");

        Assert.AreEqual("miui.com. 300 IN A 192.0.2.1", parent.Answers.Single());
        Assert.AreEqual("nottracking.miui.com. 300 IN A 192.0.2.1", sibling.Answers.Single());
        StringAssert.EndsWith(localhost.Answers.Single(), "IN A 127.0.0.1", "hosts-file housekeeping names are not rules (not blocked); localhost is answered here (RFC 6761)");
        Assert.AreEqual(2, upstream.Count, "localhost is never forwarded");
    }

    [TestMethod]
    public async Task AllowedNameWhoseCnamePointsAtABlockedName_IsBlocked()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Name switch
        {
            "cloaked.example.org" => RawMessage.ResponseTo(q.Raw).Cname(null, 300, "edge.cdn.example").Cname("edge.cdn.example", 300, "x.tracking.miui.com").A("x.tracking.miui.com", 300, "198.51.100.1").ToArray(),
            "fine.example.org" => RawMessage.ResponseTo(q.Raw).Cname(null, 300, "edge.cdn.example").A("edge.cdn.example", 300, "198.51.100.2").ToArray(),
            _ => FakeUpstream.DefaultAnswer(q),
        };
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult cloaked = await Dig.RunAsync(daemon.EndPoint, "cloaked.example.org", "A");
        DigResult cloakedAgain = await Dig.RunAsync(daemon.EndPoint, "cloaked.example.org", "A");
        DigResult fine = await Dig.RunAsync(daemon.EndPoint, "fine.example.org", "A");

        Assert.AreEqual("cloaked.example.org. 90 IN A 0.0.0.0", cloaked.Answers.Single(), cloaked.Output);
        Assert.AreEqual("cloaked.example.org. 90 IN A 0.0.0.0", cloakedAgain.Answers.Single(), "also when the answer comes from the cache");
        Assert.HasCount(2, fine.Answers);
    }

    [TestMethod]
    public async Task AdblockList_ScopesExceptionsAndDnsTypes_ThroughTheDaemon()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig().Upstream(upstream.Address).List("adguard", "filter.txt").Values,
            new Dictionary<string, string>
            {
                ["filter.txt"] = """
                    ! AdGuard-style list
                    ||xiaomi-ads.example^
                    @@||update.xiaomi-ads.example^
                    |exact.example^
                    ||v6.example^$dnstype=AAAA
                    example.org##.banner
                    """,
            });

        DigResult blocked = await Dig.RunAsync(daemon.EndPoint, "a.xiaomi-ads.example", "A");
        DigResult excepted = await Dig.RunAsync(daemon.EndPoint, "update.xiaomi-ads.example", "A");
        DigResult exact = await Dig.RunAsync(daemon.EndPoint, "exact.example", "A");
        DigResult belowExact = await Dig.RunAsync(daemon.EndPoint, "www.exact.example", "A");
        DigResult v6 = await Dig.RunAsync(daemon.EndPoint, "v6.example", "AAAA");
        DigResult v4 = await Dig.RunAsync(daemon.EndPoint, "v6.example", "A");

        Assert.AreEqual("a.xiaomi-ads.example. 60 IN A 0.0.0.0", blocked.Answers.Single(), blocked.Output);
        Assert.AreEqual("update.xiaomi-ads.example. 300 IN A 192.0.2.1", excepted.Answers.Single());
        Assert.AreEqual("exact.example. 60 IN A 0.0.0.0", exact.Answers.Single());
        Assert.AreEqual("www.exact.example. 300 IN A 192.0.2.1", belowExact.Answers.Single());
        Assert.AreEqual("v6.example. 60 IN AAAA ::", v6.Answers.Single());
        Assert.AreEqual("v6.example. 300 IN A 192.0.2.1", v4.Answers.Single());
    }

    [TestMethod]
    public async Task CustomBlockAddresses_AreAnsweredForTheirFamily()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, "192.168.1.10,fd00::53");

        DigResult a = await Dig.RunAsync(daemon.EndPoint, "tracking.miui.com", "A");
        DigResult aaaa = await Dig.RunAsync(daemon.EndPoint, "tracking.miui.com", "AAAA");
        DigResult txt = await Dig.RunAsync(daemon.EndPoint, "tracking.miui.com", "TXT");

        Assert.AreEqual("tracking.miui.com. 90 IN A 192.168.1.10", a.Answers.Single(), a.Output);
        Assert.AreEqual("tracking.miui.com. 90 IN AAAA fd00::53", aaaa.Answers.Single());
        Assert.IsEmpty(txt.Answers);
        Assert.AreEqual(0, upstream.Count);
    }

    [TestMethod]
    public async Task AccessList_RefusesClientsOutsideIt()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream.Address)
            .Set("Dns:AllowedClients:0", "10.0.0.0/8")
            .Set("Dns:AllowedClients:1", "127.0.0.7")
            .Values);

        DigResult refused = await Dig.RunAsync(daemon.EndPoint, "any.example", "A");
        byte[]? tcp;
        try
        {
            tcp = await RawClient.TcpAsync(daemon.EndPoint, RawMessage.Query("any.example", 1));
        }
        catch (IOException)
        {
            tcp = null; // reset: closed at accept
        }

        byte[]? allowed = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("any.example", 1), from: System.Net.IPAddress.Parse("127.0.0.7"));

        Assert.AreEqual("REFUSED", refused.Status, refused.Output);
        Assert.IsNull(tcp, "over TCP a stranger's connection is closed at accept, before a byte is read");
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(allowed).ReturnCode);
        Assert.AreEqual(1, upstream.Count, "refused queries never reach the upstream");
    }

    [TestMethod]
    public async Task DefaultAccessList_AllowsLoopback()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await ForwardingTests.StartAsync(upstream.Address);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "private.example", "A");

        Assert.AreEqual("NOERROR", dig.Status);
    }
}
