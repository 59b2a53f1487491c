using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

[TestClass]
public sealed class SinkholeConfigReaderTests
{
    /// <summary>Raw keys, for the tests of the reader itself: its defaults, how it parses values, and problems reported by key.</summary>
    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(Dictionary<string, string?> values)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return SinkholeConfigReader.Read(configuration, Path.GetTempPath());
    }

    [TestMethod]
    public void Defaults_AreQuad9_PrivateClients_AndLoopback5300()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read([]);

        Assert.IsEmpty(problems);
        CollectionAssert.AreEqual(new[] { "9.9.9.9:53", "149.112.112.112:53" }, options.Upstreams.Servers.Select(s => s.ToString()).ToArray());
        Assert.AreEqual("127.0.0.1:5300", options.Dns.Listen.Single().ToString());
        Assert.IsTrue(options.Dns.AllowedClients.Contains(ClientAddress.FromIPAddress(System.Net.IPAddress.Parse("192.168.1.20"))));
        Assert.IsTrue(options.Dns.AllowedClients.Contains(ClientAddress.FromIPAddress(System.Net.IPAddress.Parse("fd00::1"))));
        Assert.IsTrue(options.Dns.AllowedClients.Contains(ClientAddress.FromIPAddress(System.Net.IPAddress.Parse("100.64.3.4"))));
        Assert.IsFalse(options.Dns.AllowedClients.Contains(ClientAddress.FromIPAddress(System.Net.IPAddress.Parse("8.8.8.8"))));
        Assert.IsFalse(options.Dns.AllowedClients.Contains(ClientAddress.FromIPAddress(System.Net.IPAddress.Parse("2001:db8::1"))));
    }

    [TestMethod]
    public void Values_AreParsed()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Dns:Listen:0"] = "0.0.0.0:53",
            ["Dns:Listen:1"] = "[::]:53",
            ["Upstreams:Servers:0"] = "127.0.0.1:5353",
            ["Upstreams:Servers:1"] = "2620:fe::fe",
            ["Upstreams:Timeout"] = "1500ms",
            ["Cache:MaxTtl"] = "01:00:00",
            ["Cache:MaxBytes"] = "8MB",
            ["Cache:MaxNegativeTtl"] = "5m",
        });

        Assert.IsEmpty(problems);
        Assert.AreEqual(8L << 20, options.Cache.MaxBytes);
        Assert.AreEqual(TimeSpan.FromMinutes(5), options.Cache.MaxNegativeTtl);
        CollectionAssert.AreEqual(new[] { "0.0.0.0:53", "[::]:53" }, options.Dns.Listen.Select(s => s.ToString()).ToArray());
        CollectionAssert.AreEqual(new[] { "127.0.0.1:5353", "[2620:fe::fe]:53" }, options.Upstreams.Servers.Select(s => s.ToString()).ToArray());
        Assert.AreEqual(TimeSpan.FromMilliseconds(1500), options.Upstreams.Timeout);
        Assert.AreEqual(TimeSpan.FromHours(1), options.Cache.MaxTtl);
    }

    [TestMethod]
    public void EveryProblem_IsReportedWithItsKey()
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Dns:Listen:0"] = "localhost:53",
            ["Dns:Lisen:0"] = "0.0.0.0:53",
            ["Upstreams:Servers:0"] = "quic://dns.quad9.net",
            ["Upstreams:Servers:1"] = "not-an-ip",
            ["Cache:MaxEntries"] = "lots",
            ["Lists:ads:Sources:0"] = "does-not-exist.txt",
            ["Policies:strict:Block:0"] = "adz",
            ["Policies:strict:BlockResponse"] = "Sinkhole",
            ["DefaultPolicy"] = "relaxed",
            ["Colour"] = "blue",
        });

        string[] keys = [.. problems.Where(p => !p.IsWarning).Select(p => p.Key)];
        CollectionAssert.IsSubsetOf(
            new[] { "Dns:Listen:0", "Dns:Lisen", "Upstreams:Servers:0", "Upstreams:Servers:1", "Cache:MaxEntries", "Lists:ads:Sources:0", "Policies:strict:Block:0", "Policies:strict:BlockResponse", "DefaultPolicy", "Colour" },
            keys);
        StringAssert.Contains(problems.Single(p => p.Key == "Policies:strict:Block:0").Message, "no list named 'adz'");
        StringAssert.Contains(problems.Single(p => p.Key == "Lists:ads:Sources:0").Message, "file not found");
    }

    [TestMethod]
    public void ListPaths_ResolveAgainstTheConfigFolder_AndGlobsExpand()
    {
        using var dir = new TempDirectory();
        dir.Write("rules/xiaomi-telemetry.txt", "a.example\n");
        dir.Write("rules/xiaomi-ads.txt", "b.example\n");
        dir.Write("rules/other.txt", "c.example\n");

        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .List("xiaomi-telemetry", "rules/xiaomi-telemetry.txt")
            .List("xiaomi-ads", "rules/xiaomi-ads.txt")
            .List("other", "rules/other.txt")
            .Policy("observe", log: ["xiaomi-*"], blockResponse: "nxdomain")
            .DefaultPolicy("observe")
            .ReadWithProblems(dir.Path);

        Assert.IsEmpty(problems);
        Assert.AreEqual(Path.Combine(dir.Path, "rules", "other.txt"), options.Lists.Single(l => l.Name == "other").Sources.Single());
        CollectionAssert.AreEquivalent(new[] { "xiaomi-telemetry", "xiaomi-ads" }, options.Policies.Single().Log.ToArray());
        Assert.AreEqual(BlockResponseMode.NxDomain, options.Policies.Single().BlockResponse);
    }

    [TestMethod]
    public void BlockResponse_TakesAModeOrAddresses()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "a.example\n");

        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .List("a", "a.txt")
            .Policy("custom", block: ["a"], blockResponse: "192.168.1.10, fd00::10")
            .Policy("bad", block: ["a"], blockResponse: "192.168.1.999")
            .DefaultPolicy("custom")
            .ReadWithProblems(dir.Path);

        PolicyOptions custom = options.Policies.Single(p => p.Name == "custom");
        Assert.AreEqual(BlockResponseMode.CustomAddresses, custom.BlockResponse);
        CollectionAssert.AreEqual(new[] { "192.168.1.10", "fd00::10" }, custom.BlockAddresses.Select(a => a.ToString()).ToArray());
        Assert.AreEqual("Policies:bad:BlockResponse", problems.Single().Key);
    }

    [TestMethod]
    public void WithoutPolicies_EveryListBlocks()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "a.example\n");

        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig().List("a", "a.txt").ReadWithProblems(dir.Path);

        Assert.IsEmpty(problems);
        Assert.AreEqual(options.DefaultPolicy, options.Policies.Single().Name);
        CollectionAssert.AreEqual(new[] { "a" }, options.Policies.Single().Block.ToArray());
    }

    [TestMethod]
    [DataRow("QueryLog:FlushInterval", "0s")]
    [DataRow("QueryLog:Retention", "Infinityd")]
    [DataRow("Cache:MaxTtl", "100000000d")]
    [DataRow("Cache:MaxNegativeTtl", "forever")]
    [DataRow("Cache:MaxBytes", "lots")]
    [DataRow("Cache:MaxBytes", "-1")]
    [DataRow("Cache:MaxBytes", "65GB")]
    public void ValuesOutOfRange_AreErrors(string key, string value)
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new() { [key] = value });

        Assert.AreEqual(key, problems.Single().Key);
    }
}
