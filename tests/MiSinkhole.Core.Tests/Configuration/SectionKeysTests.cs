using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

/// <summary>Each owner's key table both checks its section for unknown keys and reads it; restart-only keys come from the same tables.</summary>
[TestClass]
public sealed class SectionKeysTests
{
    [TestMethod]
    [DataRow("Bogus", "Bogus: unknown key (known: DataDirectory, Instance, Lists, Discovery, Schedules, Policies, DefaultPolicy, Devices, Dns, RateLimit, Upstreams, Cache, Http, State, QueryLog, Logging)")]
    [DataRow("Dns:Bogus", "Dns:Bogus: unknown key (known: Listen, AllowedClients, UdpThreads, MaxInFlight, MaxUdpSize, TcpIdleTimeout, TcpMaxConnections, TcpMaxPipelined, TcpMaxConnectionsPerClient, TcpMaxWriteBuffer, Tls, Https)")]
    [DataRow("RateLimit:Bogus", "RateLimit:Bogus: unknown key (known: Rate, Burst, IPv4Prefix, IPv6Prefix, Exempt, Action, UpstreamShare)")]
    [DataRow("Upstreams:Bogus", "Upstreams:Bogus: unknown key (known: Servers, AttemptTimeout, Timeout, Bootstrap, CaFile, Strategy, Conditional)")]
    [DataRow("Cache:Bogus", "Cache:Bogus: unknown key (known: MaxEntries, MaxBytes, MinTtl, MaxTtl, MaxNegativeTtl, ServeStale, StaleTtl, StaleMaxAge, Prefetch)")]
    [DataRow("Http:Bogus", "Http:Bogus: unknown key (known: Listen, ApiToken, TrustLoopback, MetricsToken, AllowedHosts)")]
    [DataRow("QueryLog:Bogus", "QueryLog:Bogus: unknown key (known: Path, Record, AnonymizeClients, Retention, FlushInterval, QueueSize, MaxBytes, Collapse, Provider, ConnectionString)")]
    [DataRow("Logging:Bogus", "Logging:Bogus: unknown key (known: LogLevel)")]
    [DataRow("Instance:Bogus", "Instance:Bogus: unknown key (known: Name)")]
    [DataRow("State:Bogus", "State:Bogus: unknown key (known: Provider, ConnectionString)")]
    [DataRow("Lists:l:Bogus", "Lists:l:Bogus: unknown key (known: Sources, RefreshInterval, Enabled, BlockResponse, Optional, AllowHttp)")]
    [DataRow("Discovery:Bogus", "Discovery:Bogus: unknown key (known: Zones, Enabled)")]
    [DataRow("Policies:p:Bogus", "Policies:p:Bogus: unknown key (known: Block, Log, Allow, BlockResponse, BlockTtl, Schedule, Otherwise)")]
    [DataRow("Devices:d:Bogus", "Devices:d:Bogus: unknown key (known: Match, Policy)")]
    public void UnknownKey_IsReportedWithTheKeysItsOwnerReads(string key, string expected)
    {
        TestConfig config = new TestConfig().List("l", "/dev/null").Policy("p", block: ["l"]).Device("d", "p", "192.168.1.5").Set(key, "1");

        InvalidOperationException problems = Assert.ThrowsExactly<InvalidOperationException>(() => config.Read(Path.GetTempPath()));

        Assert.AreEqual(expected, problems.Message);
    }

    [TestMethod]
    public void EveryKeyATableNames_IsRead()
    {
        TestConfig config = new TestConfig()
            .List("l", "/dev/null").Set("Lists:l:RefreshInterval", "2h").Set("Lists:l:Enabled", "false").Set("Lists:l:Optional", "true")
            .List("zones", "/dev/null").Set("Discovery:Zones:0", "zones").Set("Discovery:Enabled", "false")
            .Policy("p", block: ["l"]).Set("Policies:p:BlockTtl", "5m").Set("Policies:p:BlockResponse", "NxDomain")
            .Set("Dns:UdpThreads", "3").Set("Dns:TcpMaxPipelined", "7").Set("Upstreams:Timeout", "3s").Set("Cache:MaxEntries", "42")
            .Set("Http:Listen", "none").Set("QueryLog:QueueSize", "200").Set("Logging:LogLevel:Default", "Warning")
            .Set("Devices:AutoPolicy", "p").Set("Devices:NameServer", "192.168.1.1");

        SinkholeOptions options = config.Read(Path.GetTempPath());

        Assert.AreEqual((TimeSpan.FromHours(2), false, true), (options.Lists[0].RefreshInterval, options.Lists[0].Enabled, options.Lists[0].Optional));
        Assert.AreEqual(("zones", false), (options.Discovery.Zones.Single(), options.Discovery.Enabled));
        Assert.AreEqual((TimeSpan.FromMinutes(5), MiSinkhole.Dns.BlockResponseMode.NxDomain), (options.Policies[0].BlockTtl, options.Policies[0].BlockResponse));
        Assert.AreEqual((3, 7), (options.Dns.UdpThreads, options.Dns.TcpMaxPipelined));
        Assert.AreEqual(TimeSpan.FromSeconds(3), options.Upstreams.Timeout);
        Assert.AreEqual(42, options.Cache.MaxEntries);
        Assert.IsNull(options.Http.Listen);
        Assert.AreEqual(200, options.QueryLog.QueueSize);
        Assert.AreEqual(Microsoft.Extensions.Logging.LogLevel.Warning, options.Logging.Default);
        Assert.AreEqual(("p", "192.168.1.1:53"), (options.Devices.AutoPolicy, options.Devices.NameServer?.ToString()));
    }

    [TestMethod]
    public void LimitKeys_AreRead_AndBadValuesReportedWithTheirKey()
    {
        SinkholeOptions options = new TestConfig().List("l", "/dev/null")
            .Set("Dns:MaxUdpSize", "1400").Set("Dns:TcpMaxConnectionsPerClient", "4").Set("Dns:TcpMaxWriteBuffer", "32768")
            .Set("RateLimit:Rate", "20").Set("RateLimit:Burst", "300").Set("RateLimit:IPv4Prefix", "24").Set("RateLimit:IPv6Prefix", "64")
            .Set("RateLimit:Exempt:0", "192.168.1.2").Set("RateLimit:Action", "refused").Set("RateLimit:UpstreamShare", "10")
            .Read(Path.GetTempPath());
        InvalidOperationException bad = Assert.ThrowsExactly<InvalidOperationException>(() => new TestConfig().List("l", "/dev/null")
            .Set("Dns:MaxUdpSize", "100").Set("RateLimit:Action", "Slip").Set("RateLimit:Exempt:0", "not-an-address").Read(Path.GetTempPath()));

        var defaults = new SinkholeOptions();
        Assert.AreEqual((1232, 16, 65536), (defaults.Dns.MaxUdpSize, defaults.Dns.TcpMaxConnectionsPerClient, defaults.Dns.TcpMaxWriteBuffer));
        Assert.AreEqual((100, 2000, 32, 56, 25), (defaults.RateLimit.Rate, defaults.RateLimit.Burst, defaults.RateLimit.IPv4Prefix, defaults.RateLimit.IPv6Prefix, defaults.RateLimit.UpstreamShare), "the documented defaults");
        Assert.AreEqual(MiSinkhole.Core.Stages.RateLimit.RateLimitAction.Truncate, defaults.RateLimit.Action);
        Assert.AreEqual((1400, 4, 32768), (options.Dns.MaxUdpSize, options.Dns.TcpMaxConnectionsPerClient, options.Dns.TcpMaxWriteBuffer));
        Assert.AreEqual((20, 300, 24, 64, 10), (options.RateLimit.Rate, options.RateLimit.Burst, options.RateLimit.IPv4Prefix, options.RateLimit.IPv6Prefix, options.RateLimit.UpstreamShare));
        Assert.AreEqual(MiSinkhole.Core.Stages.RateLimit.RateLimitAction.Refused, options.RateLimit.Action);
        Assert.AreEqual("192.168.1.2/32", options.RateLimit.Exempt.Networks.Single().ToString());
        StringAssert.Contains(bad.Message, "Dns:MaxUdpSize: '100' is not a whole number from 512 to 65535");
        StringAssert.Contains(bad.Message, "RateLimit:Action: 'Slip' is not Drop, Truncate, Refused");
        StringAssert.Contains(bad.Message, "RateLimit:Exempt:0: 'not-an-address' is not an address or a CIDR range");
    }

    [TestMethod]
    public void RestartKeys_AreWhatTheOwnersDeclare()
    {
        CollectionAssert.AreEquivalent(
            new[] { "DataDirectory", "Instance", "Dns", "RateLimit", "Upstreams", "Cache", "Http", "State", "QueryLog", "Logging", "Devices:LeaseFiles", "Devices:NameServer" },
            SinkholeConfigReader.RestartKeys.ToArray());
    }
}
