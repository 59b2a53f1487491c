using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MiSinkhole.Core.Inventory;
using MiSinkhole.TestKit;
using MiSinkhole.Transport;
using DnsMessage = ARSoft.Tools.Net.Dns.DnsMessage;

namespace MiSinkhole.Tests;

/// <summary>
/// DNS over HTTPS (Dns:Https, RFC 8484) with real clients: kdig +https (POST) and +https-get, and
/// curl --http2; client IDs from the path mapped to devices, what is not a DoH request refused
/// with its status, and the handshake's bound.
/// </summary>
[TestClass]
public sealed partial class DohListenerTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, Action<TestConfig>? more = null) =>
        ClientIdHousehold.StartAsync(upstream, c =>
        {
            c.Set("Dns:Https:Listen:0", "127.0.0.1:0");
            more?.Invoke(c);
        });

    private static IPEndPoint Doh(RunningDaemon daemon) => daemon.Get<DnsServer>().HttpsEndPoints.Single();

    private static string Url(RunningDaemon daemon, string path) => $"https://{Doh(daemon)}{path}";

    [TestMethod]
    public async Task ClientIdFromThePath_IsTheDevice_OverPostAndGet_WithoutOneTheAddressDecides()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        (int code, string kids) = await Kdig.RunAsync(Doh(daemon), "+https=/dns-query/kids-tablet", "tracking.miui.com", "A", "+short");
        (_, string stranger) = await Kdig.RunAsync(Doh(daemon), "+https-get", "+https=/dns-query/someone", "tracking.miui.com", "A", "+short");
        (_, string noId) = await Kdig.RunAsync(Doh(daemon), "+https-get", "tracking.miui.com", "AAAA", "+short");
        (_, string forwarded) = await Kdig.RunAsync(Doh(daemon), "+https", "example.org", "A", "+short");

        Assert.AreEqual(0, code, kids);
        Assert.AreEqual("0.0.0.0", kids.Trim(), "kids-tablet's strict policy, by the client ID in the path (POST)");
        Assert.AreEqual("192.0.2.1", stranger.Trim(), "an unknown client ID is an unknown device (observe), not the laptop its address would match (GET)");
        Assert.AreEqual("::", noId.Trim(), "no client ID: the address decides, the laptop blocks");
        Assert.AreEqual("192.0.2.1", forwarded.Trim(), "other names go upstream as over UDP");
        Assert.AreEqual(1, daemon.Get<DeviceInventory>().Find("kids-tablet")!.Queries);
        Assert.IsNull(daemon.Get<DnsServer>().TlsEndPoints.SingleOrDefault(), "DoH alone: no DoT listener");
        using HttpClient http = daemon.ApiClient();
        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        StringAssert.Contains(metrics, "transport=\"https\"", "queries over DoH are counted as https");
    }

    [TestMethod]
    public async Task Http2_Get_AnswersAsDnsMessage_WithMaxAgeFromTheTtl()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        using var dir = new TempDirectory();
        string body = Path.Combine(dir.Path, "answer");
        string query = Convert.ToBase64String(RawMessage.Query("example.org", 1, id: 0)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        DigResult result = await Curl.RunAsync("--http2", "--insecure", "--dump-header", "-", "--output", body,
            "--write-out", "%{http_version} %{http_code} %{content_type}\n", Url(daemon, $"/dns-query/kids-tablet?dns={query}"));

        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.EndsWith(result.Output.TrimEnd(), "2 200 application/dns-message", "HTTP/2 negotiated by ALPN");
        StringAssert.Matches(result.Output, CacheControl(), "max-age no longer than the answer's TTL (RFC 8484 §5.1)");
        DnsMessage answer = Wire.Parse(File.ReadAllBytes(body));
        Assert.AreEqual(0, answer.TransactionID, "RFC 8484 §4.1: ID 0 is echoed");
        Assert.AreEqual("example.org.", answer.AnswerRecords.Single().Name.ToString());
    }

    [TestMethod]
    public async Task WhatIsNotADohRequest_GetsItsStatus()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        string query = Convert.ToBase64String(RawMessage.Query("example.org", 1)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.AreEqual("404", await StatusAsync(Url(daemon, "/api/devices")), "only /dns-query: the API is not here");
        Assert.AreEqual("404", await StatusAsync(Url(daemon, $"/dns-query/not_an_id?dns={query}")), "a client ID is one DNS label");
        Assert.AreEqual("405", await StatusAsync(Url(daemon, "/dns-query"), "--request", "PUT"));
        Assert.AreEqual("415", await StatusAsync(Url(daemon, "/dns-query"), "--header", "content-type: text/plain", "--data-binary", "hello"));
        Assert.AreEqual("400", await StatusAsync(Url(daemon, "/dns-query")), "GET without dns=");
        Assert.AreEqual("400", await StatusAsync(Url(daemon, "/dns-query?dns=!!!")), "not base64url");
        Assert.AreEqual("400", await StatusAsync(Url(daemon, "/dns-query?dns=AAAA")), "three bytes are not a DNS message");
        Assert.AreEqual("200", await StatusAsync(Url(daemon, $"/dns-query?dns={query}")), "and the same server answers a good one");
    }

    [TestMethod]
    public async Task SilentClients_HoldNoOneUp_AndAreClosedAfterTheHandshakeTimeout()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, c => c.Set("Dns:Tls:HandshakeTimeout", "1s"));
        using Socket silent1 = await TlsProbe.ConnectAsync(Doh(daemon));
        using Socket silent2 = await TlsProbe.ConnectAsync(Doh(daemon));

        (int code, string answer) = await Kdig.RunAsync(Doh(daemon), "+https=/dns-query/kids-tablet", "tracking.miui.com", "A", "+short");

        Assert.AreEqual(0, code, answer);
        Assert.AreEqual("0.0.0.0", answer.Trim(), "answered while two clients sit in their handshakes");
        Assert.AreEqual(0, await TlsProbe.ReadOrClosedAsync(silent1, TimeSpan.FromSeconds(10)), "a silent client is closed after Dns:Tls:HandshakeTimeout");
        Assert.AreEqual(0, await TlsProbe.ReadOrClosedAsync(silent2, TimeSpan.FromSeconds(10)));
    }

    [TestMethod]
    public async Task CertificateFromFiles_VerifiesForCurl_AndARenewalIsPickedUpWithoutARestart()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        using var ca = new TestCertificates(dir.Path);
        ServerCertificate issued = ca.Issue("doh", ["dns.home.example"], [IPAddress.Loopback]);
        await using RunningDaemon daemon = await StartAsync(upstream, c => c
            .Set("Dns:Tls:CertificateFile", issued.CertificateFile).Set("Dns:Tls:KeyFile", issued.KeyFile));
        string query = Convert.ToBase64String(RawMessage.Query("example.org", 1, id: 0)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        DigResult verified = await Curl.RunAsync("--http2", "--cacert", ca.CaFile, "--resolve", $"dns.home.example:{Doh(daemon).Port}:127.0.0.1",
            "--output", "/dev/null", "--write-out", "%{http_code}", $"https://dns.home.example:{Doh(daemon).Port}/dns-query?dns={query}");
        Assert.AreEqual(0, verified.ExitCode, verified.Error);
        Assert.AreEqual("200", verified.Output, "a client that checks the certificate (Firefox, Chrome) gets answers");

        ServerCertificate renewed = ca.Issue("renewed", ["dns.home.example"], [IPAddress.Loopback]);
        File.Copy(renewed.KeyFile, issued.KeyFile, overwrite: true);
        File.Copy(renewed.CertificateFile, issued.CertificateFile, overwrite: true);
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); await TlsProbe.PresentedAsync(Doh(daemon), "dns.home.example") != renewed.Certificate.Thumbprint; await Task.Delay(100))
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(20), waited.Elapsed, "the renewed certificate is served over DoH too");
        }
    }

    private static async Task<string> StatusAsync(string url, params string[] more)
    {
        DigResult result = await Curl.RunAsync([.. (string[])["--http2", "--insecure", "--output", "/dev/null", "--write-out", "%{http_code}"], .. more, url]);
        Assert.AreEqual(0, result.ExitCode, result.Error);
        return result.Output.Trim();
    }

    [GeneratedRegex(@"(?im)^cache-control: max-age=(300|[12][0-9]{2}|[1-9][0-9]?)\s*$")]
    private static partial Regex CacheControl();
}
