using System.Net;
using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

/// <summary>The Dns:Tls section (DNS over TLS): its keys, defaults and problems.</summary>
[TestClass]
public sealed class DnsTlsConfigTests
{
    [TestMethod]
    public void OffByDefault()
    {
        DnsTlsOptions tls = new TestConfig().Read(Path.GetTempPath()).Dns.Tls;

        Assert.IsFalse(tls.Enabled);
        Assert.IsNull(tls.CertificateFile);
        Assert.AreEqual(TimeSpan.FromSeconds(5), tls.HandshakeTimeout);
    }

    [TestMethod]
    public void Keys_AreRead_PathsAgainstTheConfigFolder_TheServerNameInLowerCase()
    {
        using var dir = new TempDirectory();
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .Set("Dns:Tls:Listen:0", "0.0.0.0")
            .Set("Dns:Tls:Listen:1", "[::]:8853")
            .Set("Dns:Tls:CertificateFile", "tls/fullchain.pem")
            .Set("Dns:Tls:KeyFile", "tls/privkey.pem")
            .Set("Dns:Tls:ServerName", "DNS.Home.Example.")
            .Set("Dns:Tls:HandshakeTimeout", "2s")
            .Set("Dns:Tls:MaxHandshakes", "10")
            .ReadWithProblems(dir.Path);

        Assert.IsEmpty(problems, string.Join("\n", problems));
        DnsTlsOptions tls = options.Dns.Tls;
        CollectionAssert.AreEqual(new[] { new IPEndPoint(IPAddress.Any, 853), new IPEndPoint(IPAddress.IPv6Any, 8853) }, tls.Listen.ToArray(), "853 unless given");
        Assert.AreEqual(Path.Combine(dir.Path, "tls", "fullchain.pem"), tls.CertificateFile);
        Assert.AreEqual(Path.Combine(dir.Path, "tls", "privkey.pem"), tls.KeyFile);
        Assert.AreEqual("dns.home.example", tls.ServerName);
        Assert.AreEqual((TimeSpan.FromSeconds(2), 10), (tls.HandshakeTimeout, tls.MaxHandshakes));
    }

    [TestMethod]
    public void Problems_NameTheKey()
    {
        (_, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .Set("Dns:Tls:Listen:0", "somewhere")
            .Set("Dns:Tls:CertificateFile", "cert.pem")
            .Set("Dns:Tls:ServerName", "dns..example")
            .Set("Dns:Tls:Port", "853")
            .ReadWithProblems(Path.GetTempPath());

        string all = string.Join("\n", problems);
        StringAssert.Contains(all, "Dns:Tls:Listen:0: 'somewhere' is not an address with optional port");
        StringAssert.Contains(all, "Dns:Tls:KeyFile: CertificateFile and KeyFile go together");
        StringAssert.Contains(all, "Dns:Tls:ServerName: 'dns..example' is not a host name");
        StringAssert.Contains(all, "Dns:Tls:Port: unknown key");
        Assert.HasCount(4, problems);
    }

    [TestMethod]
    public void Https_OffByDefault_ItsKeysRead_443UnlessGiven_ProblemsNameTheKey()
    {
        Assert.IsFalse(new TestConfig().Read(Path.GetTempPath()).Dns.Https.Enabled);
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .Set("Dns:Https:Listen:0", "0.0.0.0")
            .Set("Dns:Https:Listen:1", "127.0.0.1:8443")
            .Set("Dns:Https:MaxConnections", "32")
            .ReadWithProblems(Path.GetTempPath());
        (_, IReadOnlyList<ConfigError> bad) = new TestConfig()
            .Set("Dns:Https:Listen:0", "nowhere:x")
            .Set("Dns:Https:MaxConnections", "0")
            .Set("Dns:Https:Path", "/dns")
            .ReadWithProblems(Path.GetTempPath());

        Assert.IsEmpty(problems, string.Join("\n", problems));
        CollectionAssert.AreEqual(new[] { new IPEndPoint(IPAddress.Any, 443), new IPEndPoint(IPAddress.Loopback, 8443) }, options.Dns.Https.Listen.ToArray());
        Assert.AreEqual(32, options.Dns.Https.MaxConnections);
        string all = string.Join("\n", bad);
        StringAssert.Contains(all, "Dns:Https:Listen:0: 'nowhere:x' is not an address with optional port");
        StringAssert.Contains(all, "Dns:Https:MaxConnections");
        StringAssert.Contains(all, "Dns:Https:Path: unknown key");
        Assert.HasCount(3, bad);
    }
}
