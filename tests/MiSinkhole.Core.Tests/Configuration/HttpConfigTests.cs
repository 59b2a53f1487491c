using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

/// <summary>The Http section's access keys: what they read into, and what they refuse with the key named.</summary>
[TestClass]
public sealed class HttpConfigTests
{
    [TestMethod]
    public void AccessKeys_AreRead()
    {
        HttpOptions http = new TestConfig()
            .Set("Http:ApiToken", "0123456789abcdef").Set("Http:TrustLoopback", "true").Set("Http:MetricsToken", "fedcba9876543210")
            .Set("Http:AllowedHosts:0", "MiSinkhole.LAN").Set("Http:AllowedHosts:1", "pi.home.arpa.")
            .Read(Path.GetTempPath()).Http;

        Assert.AreEqual(("0123456789abcdef", true, "fedcba9876543210"), (http.ApiToken, http.TrustLoopback, http.MetricsToken));
        CollectionAssert.AreEqual(new[] { "misinkhole.lan", "pi.home.arpa" }, http.AllowedHosts.ToArray());
    }

    [TestMethod]
    public void Defaults_NoTokens_NoLoopbackTrust_NoNames()
    {
        HttpOptions http = new TestConfig().Read(Path.GetTempPath()).Http;

        Assert.AreEqual((null, false, null, 0), (http.ApiToken, http.TrustLoopback, http.MetricsToken, http.AllowedHosts.Count));
    }

    [TestMethod]
    [DataRow("Http:ApiToken", "short", "Http:ApiToken: a token needs at least 16 characters")]
    [DataRow("Http:MetricsToken", "short", "Http:MetricsToken: a token needs at least 16 characters")]
    [DataRow("Http:MetricsToken", "a token with spaces in it", "Http:MetricsToken: a token is printable ASCII without spaces")]
    [DataRow("Http:TrustLoopback", "yes", "Http:TrustLoopback: 'yes' is not true or false")]
    [DataRow("Http:AllowedHosts:0", "http://misinkhole.lan", "Http:AllowedHosts:0: 'http://misinkhole.lan' is not a host name")]
    [DataRow("Http:AllowedHosts:0", "misinkhole.lan:9153", "Http:AllowedHosts:0: 'misinkhole.lan:9153' is not a host name")]
    [DataRow("Http:AllowedHosts:0", "*", "Http:AllowedHosts:0: '*' is not a host name")]
    public void BadValues_AreErrorsNamingTheKey(string key, string value, string expected)
    {
        InvalidOperationException problems = Assert.ThrowsExactly<InvalidOperationException>(() => new TestConfig().Set(key, value).Read(Path.GetTempPath()));

        StringAssert.StartsWith(problems.Message, expected);
    }
}
