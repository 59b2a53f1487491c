using System.Text;
using MiSinkhole.Core.Stages.Forward.Http2;

namespace MiSinkhole.Core.Tests.Stages.Forward.Http2;

/// <summary>The DoH request's header block: <c>:authority</c> as a server parses it.</summary>
[TestClass]
public sealed class Http2FrameTests
{
    [TestMethod]
    [DataRow("https://dns.quad9.net/dns-query", "dns.quad9.net", "/dns-query")]
    [DataRow("https://127.0.0.1:8443/dns-query", "127.0.0.1:8443", "/dns-query")]
    [DataRow("https://[2620:fe::fe]/dns-query", "[2620:fe::fe]", "/dns-query")]
    [DataRow("https://[2620:fe::fe]:8443/q?x=1", "[2620:fe::fe]:8443", "/q?x=1")]
    public void RequestPrefix_CarriesAuthorityAndPath(string url, string authority, string path)
    {
        byte[] prefix = Http2Frame.RequestPrefix(new Uri(url));

        Assert.AreEqual(0x83, prefix[0], ":method POST");
        Assert.AreEqual(0x87, prefix[1], ":scheme https");
        Assert.AreEqual(0x01, prefix[2], ":authority, a literal without indexing");
        Assert.AreEqual(authority, Encoding.ASCII.GetString(prefix, 4, prefix[3]));
        int at = 4 + prefix[3];
        Assert.AreEqual(0x04, prefix[at], ":path");
        Assert.AreEqual(path, Encoding.ASCII.GetString(prefix, at + 2, prefix[at + 1]));
    }
}
