using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Tests.Stages.Forward;

[TestClass]
public sealed class UpstreamServerTests
{
    [TestMethod]
    [DataRow("9.9.9.9", "Plain", "9.9.9.9", 53, null, "9.9.9.9:53")]
    [DataRow("127.0.0.1:5353", "Plain", "127.0.0.1", 5353, null, "127.0.0.1:5353")]
    [DataRow("[2620:fe::fe]:53", "Plain", "2620:fe::fe", 53, null, "[2620:fe::fe]:53")]
    [DataRow("tls://dns.quad9.net", "Tls", "dns.quad9.net", 853, "dns.quad9.net", "tls://dns.quad9.net:853")]
    [DataRow("tls://9.9.9.9:853#dns.quad9.net", "Tls", "9.9.9.9", 853, "dns.quad9.net", "tls://9.9.9.9:853#dns.quad9.net")]
    [DataRow("tls://[2620:fe::fe]:8853", "Tls", "2620:fe::fe", 8853, "2620:fe::fe", "tls://[2620:fe::fe]:8853")]
    [DataRow("tls://DNS.Example:8853", "Tls", "dns.example", 8853, "dns.example", "tls://dns.example:8853")]
    [DataRow("https://dns.quad9.net/dns-query", "Https", "dns.quad9.net", 443, "dns.quad9.net", "https://dns.quad9.net/dns-query")]
    [DataRow("https://127.0.0.1:8443/dns-query", "Https", "127.0.0.1", 8443, "127.0.0.1", "https://127.0.0.1:8443/dns-query")]
    public void Entries_AreReadAsWritten(string text, string protocol, string host, int port, string? tlsName, string label)
    {
        Assert.IsTrue(UpstreamServer.TryParse(text, out UpstreamServer server, out string error), error);

        Assert.AreEqual(protocol, server.Protocol.ToString());
        Assert.AreEqual(host, server.Host);
        Assert.AreEqual(port, server.Port);
        Assert.AreEqual(tlsName, server.TlsName);
        Assert.AreEqual(label, server.Label);
        Assert.AreEqual(protocol == "Https", server.Url is not null);
    }

    [TestMethod]
    [DataRow("quic://dns.example", "tls://host[:port][#name] or https://host/path")]
    [DataRow("http://dns.example/dns-query", "tls://host[:port][#name] or https://host/path")]
    [DataRow("tls://", "expected tls://host[:port][#name]")]
    [DataRow("tls://dns.example:99999", "expected tls://host[:port][#name]")]
    [DataRow("tls://9.9.9.9#", "is not a host name to verify")]
    [DataRow("tls://bad_name.example", "expected tls://host[:port][#name]")]
    [DataRow("https://user:pw@dns.example/dns-query", "expected https://host[:port]/path")]
    [DataRow("dns.quad9.net", "is not an address with optional port")]
    public void BadEntries_SayWhatIsExpected(string text, string expected)
    {
        Assert.IsFalse(UpstreamServer.TryParse(text, out _, out string error));

        Assert.Contains(expected, error);
    }
}
