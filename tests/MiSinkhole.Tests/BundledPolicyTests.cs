using MiSinkhole.Core.Inventory;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// The shipped configuration (config/misinkhole.json, the strictest bundled policy) keeps every
/// essential Xiaomi name resolvable and blocks the telemetry, through the running daemon.
/// </summary>
[TestClass]
public sealed class BundledPolicyTests
{
    [TestMethod]
    public async Task EssentialNames_ResolveUnderTheStrictPolicy_AndTelemetryIsBlocked()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartFromFileAsync(
            RepositoryPaths.File("config", "misinkhole.json"),
            "--Dns:Listen:0=127.0.0.1:0",
            "--Dns:Listen:1=127.0.0.1:0",
            $"--Upstreams:Servers:0={upstream.Address}",
            $"--Upstreams:Servers:1={upstream.Address}");
        string[] essential = [.. File.ReadAllLines(RepositoryPaths.File("config", "rules", "xiaomi", "essential.txt"))
            .Select(l => l.Split('#')[0].Trim())
            .Where(l => l.Length > 0)];

        var blockedEssential = new List<string>();
        foreach (string name in essential)
        {
            DigResult dig = await Dig.RunAsync(daemon.EndPoint, name, "A");
            if (dig.Answers.SingleOrDefault() != $"{name}. 300 IN A 192.0.2.1")
            {
                blockedEssential.Add($"{name}: {string.Join(" | ", dig.Answers)}");
            }
        }

        DigResult telemetry = await Dig.RunAsync(daemon.EndPoint, "data.mistat.xiaomi.com", "A");
        DigResult shaped = await Dig.RunAsync(daemon.EndPoint, "sentry.some-new-service.xiaomi.com", "A");

        Assert.IsGreaterThan(10, essential.Length);
        Assert.IsEmpty(blockedEssential, string.Join("\n", blockedEssential));
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", telemetry.Answers.Single());
        Assert.AreEqual("sentry.some-new-service.xiaomi.com. 60 IN A 0.0.0.0", shaped.Answers.Single(), "a shape rule catches a host no list has seen");
    }

    /// <summary>The extended tier (names whose blocking has a known cost): strict leaves it alone, max blocks it, observe logs it.</summary>
    [TestMethod]
    public async Task ExtendedTier_BlockedOnlyByMax()
    {
        await using var upstream = new FakeUpstream();
        string config = RepositoryPaths.File("config", "misinkhole.json");
        string[] common = ["--Dns:Listen:0=127.0.0.1:0", "--Dns:Listen:1=127.0.0.1:0", $"--Upstreams:Servers:0={upstream.Address}", $"--Upstreams:Servers:1={upstream.Address}"];
        await using RunningDaemon strict = await RunningDaemon.StartFromFileAsync(config, common);
        await using RunningDaemon max = await RunningDaemon.StartFromFileAsync(config, [.. common, "--DefaultPolicy=max"]);
        string[] extended = [.. File.ReadAllLines(RepositoryPaths.File("config", "rules", "xiaomi", "extended.txt"))
            .Select(l => l.Split('#')[0].Trim().Trim('|', '^')).Where(l => l.Length > 0)];

        var wrong = new List<string>();
        foreach (string name in extended)
        {
            DigResult underStrict = await Dig.RunAsync(strict.EndPoint, name, "A");
            DigResult underMax = await Dig.RunAsync(max.EndPoint, name, "A");
            if (underStrict.Answers.SingleOrDefault() != $"{name}. 300 IN A 192.0.2.1")
            {
                wrong.Add($"{name} under strict (nothing known breaks): {string.Join(" | ", underStrict.Answers)}");
            }

            if (underMax.Answers.SingleOrDefault() != $"{name}. 60 IN A 0.0.0.0")
            {
                wrong.Add($"{name} under max: {string.Join(" | ", underMax.Answers)}");
            }
        }

        DigResult telemetryUnderMax = await Dig.RunAsync(max.EndPoint, "data.mistat.xiaomi.com", "A");
        DigResult essentialUnderMax = await Dig.RunAsync(max.EndPoint, "global.market.xiaomi.com", "A");

        Assert.IsGreaterThanOrEqualTo(10, extended.Length);
        Assert.IsEmpty(wrong, string.Join("\n", wrong));
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", telemetryUnderMax.Answers.Single());
        Assert.AreEqual("global.market.xiaomi.com. 300 IN A 192.0.2.1", essentialUnderMax.Answers.Single(), "the essential allow list still applies under max");
    }

    /// <summary>DNS-bypass names: the canary and discovery are answered so devices stay on the network's DNS; the rest are counted per device (strict logs, max blocks).</summary>
    [TestMethod]
    public async Task DnsBypass_CanaryNxDomain_DiscoveryNoData_ResolversLoggedByStrict_BlockedByMax()
    {
        await using var upstream = new FakeUpstream();
        string config = RepositoryPaths.File("config", "misinkhole.json");
        string[] common = ["--Dns:Listen:0=127.0.0.1:0", "--Dns:Listen:1=127.0.0.1:0", $"--Upstreams:Servers:0={upstream.Address}", $"--Upstreams:Servers:1={upstream.Address}"];
        await using RunningDaemon strict = await RunningDaemon.StartFromFileAsync(config, common);
        await using RunningDaemon max = await RunningDaemon.StartFromFileAsync(config, [.. common, "--DefaultPolicy=max"]);

        DigResult canary = await Dig.RunAsync(strict.EndPoint, "use-application-dns.net", "A");
        DigResult discovery = await Dig.RunAsync(strict.EndPoint, "_dns.resolver.arpa", "SVCB");
        DigResult resolverUnderStrict = await Dig.RunAsync(strict.EndPoint, "-b", "127.0.0.5", "dns.google", "A");
        DigResult resolverUnderMax = await Dig.RunAsync(max.EndPoint, "dns.google", "A");
        DigResult push = await Dig.RunAsync(max.EndPoint, "resolver.msg.xiaomi.net", "A");
        string metrics = await new HttpClient().GetStringAsync(new Uri(strict.HttpAddress, "/metrics"));
        InventoryRecord client = strict.Get<DeviceInventory>().Find("127.0.0.5")!;

        Assert.AreEqual("NXDOMAIN", canary.Status, "Firefox keeps the network's DNS");
        Assert.AreEqual(("NOERROR", 0), (discovery.Status, discovery.Answers.Count), "no designated encrypted resolver");
        Assert.AreEqual("dns.google. 300 IN A 192.0.2.1", resolverUnderStrict.Answers.Single(), "strict only logs a bypass attempt");
        Assert.AreEqual("NXDOMAIN", resolverUnderMax.Status);
        Assert.AreEqual("resolver.msg.xiaomi.net. 300 IN A 192.0.2.1", push.Answers.Single(), "Mi Push's resolver is no bypass");
        StringAssert.Contains(metrics, "action=\"logged\",category=\"dns-bypass\",device=\"unknown\"} 1", "counted per device as a bypass attempt");
        Assert.AreEqual(new CategoryCounts(0, 1, 0), client.Categories["dns-bypass"], "the inventory shows the client's bypass attempt");
    }
}
