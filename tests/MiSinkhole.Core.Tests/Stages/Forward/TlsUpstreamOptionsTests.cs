using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>The DoT and DoH side of the Upstreams section: tls:// and https:// servers (plain and conditional), and the CA file.</summary>
[TestClass]
public sealed class TlsUpstreamOptionsTests
{
    private static (UpstreamOptions Options, IReadOnlyList<ConfigError> Problems) Read(string baseDirectory, Dictionary<string, string?> values)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = SinkholeConfigReader.Read(configuration, baseDirectory);
        return (options.Upstreams, problems);
    }

    [TestMethod]
    public void TlsAndHttpsServers_AreAccepted_AlsoAsConditionalServers()
    {
        (UpstreamOptions options, IReadOnlyList<ConfigError> problems) = Read("/etc/misinkhole", new()
        {
            ["Upstreams:Servers:0"] = "https://dns.quad9.net/dns-query",
            ["Upstreams:Servers:1"] = "tls://9.9.9.9#dns.quad9.net",
            ["Upstreams:Servers:2"] = "9.9.9.9",
            ["Upstreams:Conditional:lan:0"] = "tls://192.168.1.1:853#router.lan",
        });

        Assert.IsEmpty(problems, string.Join("\n", problems));
        CollectionAssert.AreEqual(new[] { UpstreamProtocol.Https, UpstreamProtocol.Tls, UpstreamProtocol.Plain }, options.Servers.Select(s => s.Protocol).ToArray());
        Assert.AreEqual("dns.quad9.net", options.Servers[1].TlsName);
        Assert.AreEqual(UpstreamProtocol.Tls, options.Conditional["lan"].Single().Protocol);
    }

    [TestMethod]
    public void CaFile_IsReadRelativeToTheConfigFolder()
    {
        using var directory = new TempDirectory();
        using (var certificates = new TestCertificates(directory.Path, "home CA"))
        {
            File.Move(certificates.CaFile, Path.Combine(directory.Path, "ca.pem"));
        }

        (UpstreamOptions options, IReadOnlyList<ConfigError> problems) = Read(directory.Path, new() { ["Upstreams:CaFile"] = "ca.pem" });

        Assert.IsEmpty(problems, string.Join("\n", problems));
        Assert.AreEqual(Path.Combine(directory.Path, "ca.pem"), options.CaFile);
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow("not a certificate\n")]
    public void CaFile_MissingOrNotPem_IsAnError(string? content)
    {
        using var directory = new TempDirectory();
        if (content is not null)
        {
            directory.Write("ca.pem", content);
        }

        (_, IReadOnlyList<ConfigError> problems) = Read(directory.Path, new() { ["Upstreams:CaFile"] = "ca.pem" });

        Assert.AreEqual("Upstreams:CaFile", problems.Single().Key, string.Join("\n", problems));
    }
}
