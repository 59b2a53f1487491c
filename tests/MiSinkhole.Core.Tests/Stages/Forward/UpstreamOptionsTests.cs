using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Tests.Stages.Forward;

[TestClass]
public sealed class UpstreamOptionsTests
{
    private static (UpstreamOptions Options, IReadOnlyList<ConfigError> Problems) Read(Dictionary<string, string?> values)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = SinkholeConfigReader.Read(configuration, "/etc/misinkhole");
        return (options.Upstreams, problems);
    }

    [TestMethod]
    public void Defaults_FailoverWithQuad9Bootstrap_NoConditionalServers_NoExtraAnchors()
    {
        (UpstreamOptions options, IReadOnlyList<ConfigError> problems) = Read([]);

        Assert.IsEmpty(problems);
        Assert.AreEqual(UpstreamStrategy.Failover, options.Strategy);
        CollectionAssert.AreEqual(new[] { "9.9.9.9:53", "149.112.112.112:53" }, options.Bootstrap.Select(s => s.ToString()).ToArray());
        Assert.IsEmpty(options.Conditional);
        Assert.IsNull(options.CaFile);
    }

    [TestMethod]
    public void Keys_AreRead()
    {
        (UpstreamOptions options, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Upstreams:Strategy"] = "parallelbest",
            ["Upstreams:Bootstrap:0"] = "127.0.0.1:5353",
            ["Upstreams:Conditional:LAN."] = "192.168.1.1",
            ["Upstreams:Conditional:1.168.192.in-addr.arpa:0"] = "192.168.1.1",
            ["Upstreams:Conditional:1.168.192.in-addr.arpa:1"] = "192.168.1.2:5353",
        });

        Assert.IsEmpty(problems, string.Join("\n", problems));
        Assert.AreEqual(UpstreamStrategy.ParallelBest, options.Strategy);
        Assert.AreEqual("127.0.0.1:5353", options.Bootstrap.Single().ToString());
        Assert.AreEqual("192.168.1.1:53", options.Conditional["lan"].Single().Label, "lowercase, no trailing dot, a single value or a list");
        CollectionAssert.AreEqual(new[] { "192.168.1.1:53", "192.168.1.2:5353" }, options.Conditional["1.168.192.in-addr.arpa"].Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void AnEmptyBootstrap_MeansNone()
    {
        (UpstreamOptions options, IReadOnlyList<ConfigError> problems) = Read(new() { ["Upstreams:Bootstrap"] = "" });

        Assert.IsEmpty(problems);
        Assert.IsEmpty(options.Bootstrap);
    }

    [TestMethod]
    [DataRow("Upstreams:Strategy", "Fastest", "Upstreams:Strategy")]
    [DataRow("Upstreams:Bootstrap:0", "tls://dns.quad9.net", "Upstreams:Bootstrap:0")]
    [DataRow("Upstreams:Conditional:lan:0", "printer", "Upstreams:Conditional:lan:0")]
    [DataRow("Upstreams:Conditional:a..b:0", "192.168.1.1", "Upstreams:Conditional:a..b")]
    public void BadValues_AreReportedWithTheirKey(string key, string value, string reported)
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new() { [key] = value });

        Assert.AreEqual(reported, problems.Single().Key, string.Join("\n", problems));
    }
}
