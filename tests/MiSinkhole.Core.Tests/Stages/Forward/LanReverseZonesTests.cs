using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// With a router among the default servers (a LAN address), the reverse zones of LAN addresses
/// and home.arpa go to it (it knows its leases, and asking it leaks nothing); the zones no LAN
/// resolver can know, and every private zone when all servers are public, stay answered here.
/// </summary>
[TestClass]
public sealed class LanReverseZonesTests
{
    private static UpstreamGroup Group(string name, params string[] servers) =>
        new(name, [.. servers.Select(s => (IUpstream)new PlainUpstream(UpstreamServer.Plain(IPEndPoint.Parse(s)), new SocketUdpExchange()))], UpstreamStrategy.Failover);

    [TestMethod]
    [DataRow("7.1.168.192.in-addr.arpa", "lan")]
    [DataRow("3.2.1.10.in-addr.arpa", "lan")]
    [DataRow("1.1.100.100.in-addr.arpa", "lan")]
    [DataRow("printer.home.arpa", "lan")]
    [DataRow("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", "lan")]
    [DataRow("1.0.0.127.in-addr.arpa", "local")]
    [DataRow("printer.local", "local")]
    [DataRow("x.onion", "local")]
    [DataRow("example.org", "default")]
    public void LanZones_GoToTheRouter_OthersStayLocal(string name, string expected)
    {
        UpstreamGroup defaults = Group("default", "192.168.1.1:53", "9.9.9.9:53");
        UpstreamGroup lan = Group("lan", "192.168.1.1:53");
        var routes = new UpstreamRoutes(defaults, [], lan);

        UpstreamGroup? group = routes.Find(DnsName.FromText(name), out LocalZone? zone);

        Assert.AreEqual(expected, group?.Name ?? (zone is null ? "none" : "local"));
    }

    [TestMethod]
    public void WithoutALanServer_PrivateZonesStayLocal()
    {
        var routes = new UpstreamRoutes(Group("default", "9.9.9.9:53"), []);

        Assert.IsNull(routes.Find(DnsName.FromText("7.1.168.192.in-addr.arpa"), out LocalZone? zone));
        Assert.AreEqual("168.192.in-addr.arpa", zone?.Name);
    }

    [TestMethod]
    public async Task TheResolver_MakesALanGroup_OfItsRouterOnly_NotOfLoopbackOrPublicServers()
    {
        var options = new UpstreamOptions
        {
            Servers = [UpstreamServer.Plain(IPEndPoint.Parse("192.168.1.1:53")), UpstreamServer.Plain(IPEndPoint.Parse("127.0.0.1:5353")), UpstreamServer.Plain(IPEndPoint.Parse("9.9.9.9:53"))],
        };
        await using var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), NullLogger<UpstreamResolver>.Instance, TestMeters.Factory());

        CollectionAssert.AreEqual(new[] { "192.168.1.1:53" }, resolver.Status().Where(s => s.Group == "lan").Select(s => s.Server).ToArray());
    }
}
