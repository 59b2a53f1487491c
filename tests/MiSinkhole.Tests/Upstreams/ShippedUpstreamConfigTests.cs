using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Upstreams;

/// <summary>The upstreams the shipped configs name: production over DoH with a plain bootstrap, the quick start plain.</summary>
[TestClass]
public sealed class ShippedUpstreamConfigTests
{
    [TestMethod]
    public void ProductionConfig_ForwardsOverDohToQuad9_WithAPlainBootstrap()
    {
        LoadedConfig config = ConfigLoader.Load(RepositoryPaths.File("config", "misinkhole.json"), [], new Dictionary<string, string>());

        Assert.IsTrue(config.IsValid, string.Join("\n", config.Problems));
        UpstreamServer server = config.Options.Upstreams.Servers.Single();
        Assert.AreEqual(UpstreamProtocol.Https, server.Protocol);
        Assert.AreEqual("https://dns.quad9.net/dns-query", server.Label);
        CollectionAssert.AreEqual(new[] { "9.9.9.9:53", "149.112.112.112:53" }, config.Options.Upstreams.Bootstrap.Select(b => b.ToString()).ToArray());
    }

    [TestMethod]
    public void QuickStart_StaysPlain()
    {
        LoadedConfig config = ConfigLoader.Load(null, [], new Dictionary<string, string>());

        Assert.IsTrue(config.IsValid, string.Join("\n", config.Problems));
        Assert.IsTrue(config.Options.Upstreams.Servers.All(s => s.Protocol == UpstreamProtocol.Plain));
    }
}
