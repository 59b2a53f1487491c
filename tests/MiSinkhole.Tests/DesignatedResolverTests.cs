using MiSinkhole.TestKit;
using MiSinkhole.Transport;

namespace MiSinkhole.Tests;

/// <summary>
/// DDR (RFC 9462) with the real dig: while DoT and DoH listen, <c>_dns.resolver.arpa SVCB</c> over
/// plain DNS names them, so a client that supports it upgrades by itself; without them the name
/// is a local zone's NXDOMAIN, and never asked upstream either way.
/// </summary>
[TestClass]
public sealed class DesignatedResolverTests
{
    [TestMethod]
    public async Task WithEncryptedListeners_TheSvcbAnswerNamesEach_WithItsPortAlpnAndAddress()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream.Address)
            .Set("Dns:Tls:Listen:0", "127.0.0.1:0")
            .Set("Dns:Https:Listen:0", "127.0.0.1:0")
            .Set("Dns:Tls:ServerName", "dns.home.example").Values);
        DnsServer server = daemon.Get<DnsServer>();
        int dot = server.TlsEndPoints.Single().Port, doh = server.HttpsEndPoints.Single().Port;

        DigResult svcb = await Dig.RunAsync(daemon.EndPoint, "_dns.resolver.arpa", "SVCB");
        DigResult address = await Dig.RunAsync(daemon.EndPoint, "_dns.resolver.arpa", "A");

        Assert.AreEqual("NOERROR", svcb.Status, svcb.Output);
        CollectionAssert.AreEquivalent(
            new[]
            {
                $"_dns.resolver.arpa. 300 IN SVCB 1 dns.home.example. alpn=\"dot\" port={dot} ipv4hint=127.0.0.1",
                $"_dns.resolver.arpa. 300 IN SVCB 2 dns.home.example. alpn=\"h2\" port={doh} ipv4hint=127.0.0.1 key7=\"/dns-query{{?dns}}\"",
            },
            svcb.Answers.ToArray());
        Assert.AreEqual("NOERROR", address.Status, "the name exists: other types are NODATA");
        Assert.IsEmpty(address.Answers);
        Assert.AreEqual(0, upstream.Count, "resolver.arpa never goes upstream (RFC 9462 §6.4)");

        // The designated DoH endpoint answers, as a client that followed it would ask.
        (int code, string answer) = await Kdig.RunAsync(server.HttpsEndPoints.Single(), "+https", "example.org", "A", "+short");
        Assert.AreEqual(0, code, answer);
        Assert.AreEqual("192.0.2.1", answer.Trim());
    }

    [TestMethod]
    public async Task WithoutEncryptedListeners_ItIsALocalNxDomain()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);

        DigResult svcb = await Dig.RunAsync(daemon.EndPoint, "_dns.resolver.arpa", "SVCB");

        Assert.AreEqual("NXDOMAIN", svcb.Status, svcb.Output);
        Assert.AreEqual(0, upstream.Count, "resolver.arpa never goes upstream");
    }
}
