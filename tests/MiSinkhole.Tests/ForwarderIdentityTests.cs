using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Devices behind a forwarding router (Devices:TrustedForwarders): the router names the client in
/// EDNS options (ECS, dnsmasq's MAC options), the daemon decides for that client. Real dig and a
/// real dnsmasq as the router, on loopback addresses of their own.
/// </summary>
[TestClass]
public sealed partial class ForwarderIdentityTests
{
    private const string Router = "127.0.0.5";
    private const string Stranger = "127.0.0.6";
    private const string TabletAddress = "127.0.0.9";
    private const string PhoneMac = "3c:22:fb:12:34:56";

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream) => RunningDaemon.StartAsync(new TestConfig()
        .Upstream(upstream.Address)
        .List("xiaomi-telemetry", "telemetry.txt")
        .Policy("strict", block: ["xiaomi-telemetry"])
        .Policy("observe", log: ["xiaomi-telemetry"])
        .DefaultPolicy("strict")
        .Device("tablet", "observe", TabletAddress)
        .Device("phone", "observe", PhoneMac)
        .Set("Devices:TrustedForwarders:0", Router)
        .Set("QueryLog:Record", "All")
        .Values, new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\ndata.mistat.xiaomi.com\n" });

    [TestMethod]
    public async Task TrustedForwarder_NamesTheClient_ByEcsAndByMac_AndTheOptionsGoNoFurther()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult tablet = await Dig.RunAsync(daemon.EndPoint, "-b", Router, $"+subnet={TabletAddress}/32", "tracking.miui.com", "A");
        DigResult phone = await Dig.RunAsync(daemon.EndPoint, "-b", Router, "+ednsopt=65001:3c22fb123456", "tracking.miui.com", "A");
        DigResult phoneAsText = await Dig.RunAsync(daemon.EndPoint, "-b", Router, "+ednsopt=65073:" + Convert.ToHexString("3c:22:fb:12:34:56"u8), "data.mistat.xiaomi.com", "A");
        DigResult router = await Dig.RunAsync(daemon.EndPoint, "-b", Router, "data.mistat.xiaomi.com", "AAAA");

        Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", tablet.Answers.Single(), "the tablet's policy only logs");
        Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", phone.Answers.Single(), "the phone's, by the MAC the router named");
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", phoneAsText.Answers.Single(), "add-mac=text");
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN AAAA ::", router.Answers.Single(), "the router's own queries: the default policy");
        FakeQuery[] upstreamSaw = [.. upstream.Received];
        Assert.HasCount(2, upstreamSaw, "tracking.miui.com once: the second was a cache hit, the options are no part of the key");
        foreach (FakeQuery query in upstreamSaw)
        {
            byte[] name = new byte[256];
            Assert.AreEqual(DnsParseResult.Ok, DnsQueryParser.Parse(query.Raw, name, out DnsQuery parsed));
            Assert.IsFalse(parsed.HasClientOptions, $"{query.Name}: no ECS or MAC option upstream");
        }

        daemon.Get<QueryLogWriter>().Flush();
        using HttpClient http = daemon.ApiClient();
        JsonElement[] rows = [.. (await http.GetFromJsonAsync<JsonElement>("/api/querylog?limit=10")).GetProperty("items").EnumerateArray()];
        JsonElement tabletRow = rows.Single(r => r.GetProperty("device").GetString() == "tablet");
        Assert.AreEqual(TabletAddress, tabletRow.GetProperty("client").GetString(), "the device's address, not the router's");
        Assert.AreEqual(Router, tabletRow.GetProperty("forwarder").GetString());
        Assert.AreEqual("logged", tabletRow.GetProperty("action").GetString());
        JsonElement[] phoneRows = [.. rows.Where(r => r.GetProperty("device").GetString() == "phone")];
        Assert.HasCount(2, phoneRows);
        Assert.IsTrue(phoneRows.All(r => r.GetProperty("forwarder").GetString() == Router && r.GetProperty("client").GetString() == Router), "a MAC alone: the address is the router's");
        JsonElement routerRow = rows.Single(r => r.GetProperty("device").GetString() == "unknown");
        Assert.AreEqual(JsonValueKind.Null, routerRow.GetProperty("forwarder").ValueKind, "its own query came through no forwarder");

        var inventory = daemon.Get<DeviceInventory>();
        Assert.AreEqual(Router, inventory.Find("tablet")?.Forwarder);
        Assert.AreEqual(TabletAddress, inventory.Find("tablet")?.Address);
        Assert.AreEqual(Router, inventory.Find("phone")?.Forwarder);
        Assert.IsNull(inventory.Find(Router)?.Forwarder);
        Assert.AreEqual(1, inventory.Find(Router)?.Queries, "the router itself asked once");

        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.AreEqual("3", UsedPattern().Match(metrics).Groups[1].Value, metrics);

        JsonElement explain = await http.GetFromJsonAsync<JsonElement>($"/api/explain?name=tracking.miui.com&device={Router}");
        Assert.IsTrue(explain.GetProperty("trustedForwarder").GetBoolean());
        JsonElement explainTablet = await http.GetFromJsonAsync<JsonElement>($"/api/explain?name=tracking.miui.com&device={TabletAddress}");
        Assert.AreEqual("logged", explainTablet.GetProperty("action").GetString());
        Assert.IsFalse(explainTablet.GetProperty("trustedForwarder").GetBoolean());
    }

    [TestMethod]
    public async Task UntrustedSender_CannotClaimADevice_ItsOptionsAreIgnoredAndCounted()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult byEcs = await Dig.RunAsync(daemon.EndPoint, "-b", Stranger, $"+subnet={TabletAddress}/32", "tracking.miui.com", "A");
        DigResult byMac = await Dig.RunAsync(daemon.EndPoint, "-b", Stranger, "+ednsopt=65001:3c22fb123456", "data.mistat.xiaomi.com", "A");

        Assert.AreEqual("tracking.miui.com. 60 IN A 0.0.0.0", byEcs.Answers.Single(), "blocked: the stranger's own policy, not the tablet's");
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", byMac.Answers.Single());
        InventoryRecord stranger = daemon.Get<DeviceInventory>().Find(Stranger)!;
        Assert.AreEqual(2, stranger.Queries);
        Assert.IsNull(stranger.Forwarder);
        Assert.IsNull(daemon.Get<DeviceInventory>().Find("tablet"), "the tablet never asked");
        using HttpClient http = daemon.ApiClient();
        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.AreEqual("2", IgnoredPattern().Match(metrics).Groups[1].Value, metrics);
        Assert.IsFalse(UsedPattern().IsMatch(metrics));
    }

    [TestMethod]
    public async Task DeviceBehindARealDnsmasqRouter_GetsItsOwnPolicy()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        await using DnsmasqForwarder router = await DnsmasqForwarder.StartAsync(IPAddress.Parse(Router), daemon.EndPoint);

        DigResult tablet = await Dig.RunAsync(router.EndPoint, "-b", TabletAddress, "tracking.miui.com", "A");
        DigResult other = await Dig.RunAsync(router.EndPoint, "-b", "127.0.0.10", "data.mistat.xiaomi.com", "A");

        Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", tablet.Answers.Single(), $"the tablet's policy through the router\n{router.Log}");
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", other.Answers.Single(), "another client behind the router: the default policy");
        var inventory = daemon.Get<DeviceInventory>();
        Assert.AreEqual(Router, inventory.Find("tablet")?.Forwarder);
        Assert.AreEqual(Router, inventory.Find("127.0.0.10")?.Forwarder, "an unknown client, by the address dnsmasq named");
    }

    [GeneratedRegex(@"misinkhole_forwarder_client_options_total\{[^}]*result=""used""[^}]*\} (\d+)")]
    private static partial Regex UsedPattern();

    [GeneratedRegex(@"misinkhole_forwarder_client_options_total\{[^}]*result=""ignored""[^}]*\} (\d+)")]
    private static partial Regex IgnoredPattern();
}
