using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MiSinkhole.Core.Inventory;
using MiSinkhole.TestKit;
using MiSinkhole.Transport;

namespace MiSinkhole.Tests;

/// <summary>
/// DNS over TLS (Dns:Tls) for phones with Private DNS: real kdig +tls as the client, client IDs
/// from the SNI mapped to devices, the certificate (self-signed, or from files and renewed in
/// place), and the handshake's bounds.
/// </summary>
[TestClass]
public sealed class DotListenerTests
{
    private const string ServerName = "dns.home.example";

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, Action<TestConfig>? more = null) =>
        ClientIdHousehold.StartAsync(upstream, c =>
        {
            c.Set("Dns:Tls:Listen:0", "127.0.0.1:0").Set("Dns:Tls:ServerName", ServerName);
            more?.Invoke(c);
        });

    private static IPEndPoint Dot(RunningDaemon daemon) => daemon.Get<DnsServer>().TlsEndPoints.Single();

    [TestMethod]
    public async Task ClientIdFromTheSni_IsTheDevice_UnknownIdsAreUnknown_WithoutOneTheAddressDecides()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        (int code, string kids) = await Kdig.RunAsync(Dot(daemon), "+tls", $"+tls-sni=kids-tablet.{ServerName}", "tracking.miui.com", "A", "+short");
        (_, string stranger) = await Kdig.RunAsync(Dot(daemon), "+tls", $"+tls-sni=someone.{ServerName}", "tracking.miui.com", "A", "+short");
        (_, string noId) = await Kdig.RunAsync(Dot(daemon), "+tls", "+tls-sni=elsewhere.example", "tracking.miui.com", "AAAA", "+short");

        Assert.AreEqual(0, code, kids);
        Assert.AreEqual("0.0.0.0", kids.Trim(), "kids-tablet's strict policy, by its client ID");
        Assert.AreEqual("192.0.2.1", stranger.Trim(), "an unknown client ID is an unknown device (observe), not the laptop its address would match");
        Assert.AreEqual("::", noId.Trim(), "no client ID (the SNI is not under the server name): the address decides, the laptop blocks");
        InventoryRecord tablet = daemon.Get<DeviceInventory>().Find("kids-tablet")!;
        Assert.AreEqual(1, tablet.Queries);
        using HttpClient http = daemon.ApiClient();
        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        StringAssert.Contains(metrics, "transport=\"tls\"", "queries over DoT are counted as tls");
        StringAssert.Matches(metrics, new System.Text.RegularExpressions.Regex(@"misinkhole_dns_tls_handshakes_total\{[^}]*result=""ok""[^}]*\} 3"));
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/devices", UriKind.Relative));
        JsonElement configured = devices.GetProperty("configured").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "kids-tablet");
        CollectionAssert.AreEqual(new[] { "clientid:kids-tablet" }, configured.GetProperty("match").EnumerateArray().Select(m => m.GetString()).ToArray(), "the API shows how the device is matched");
        Assert.IsTrue(configured.GetProperty("seen").GetBoolean());
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task SelfSignedCertificate_IsMadeAndKeptInTheDataDirectory_TheKeyOnlyForTheDaemonsUser()
    {
        await using var upstream = new FakeUpstream();
        await using (RunningDaemon first = await StartAsync(upstream))
        {
            TlsCertificateSource certificates = first.Get<DnsServer>().TlsCertificates!;
            Assert.IsTrue(certificates.IsSelfSigned);
            string thumbprint = await TlsProbe.PresentedAsync(Dot(first), $"kids-tablet.{ServerName}");
            Assert.AreEqual(certificates.Current.TargetCertificate.Thumbprint, thumbprint);
            string certificateFile = certificates.CertificateFile;
            string keyFile = Path.Combine(Path.GetDirectoryName(certificateFile)!, "dot-key.pem");
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile), "the key is the daemon user's only");
            using X509Certificate2 stored = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            Assert.AreEqual(thumbprint, stored.Thumbprint, "the certificate on disk is the one served");
            StringAssert.Contains(string.Join(",", stored.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames()), $"*.{ServerName}", "client IDs' names are covered");
            var next = new TlsCertificateSource(new Core.Configuration.DnsTlsOptions { ServerName = ServerName }, Path.GetDirectoryName(certificateFile)!,
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Assert.AreEqual(thumbprint, next.Current.TargetCertificate.Thumbprint, "the next start serves the same certificate (a client that pinned it still connects)");
        }
    }

    [TestMethod]
    public async Task CertificateFromFiles_VerifiesForAStrictClient_AndARenewalIsPickedUpWithoutARestart()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        using var ca = new TestCertificates(dir.Path);
        ServerCertificate issued = ca.Issue("dot", [ServerName, $"*.{ServerName}"], [IPAddress.Loopback]);
        await using RunningDaemon daemon = await StartAsync(upstream, c => c
            .Set("Dns:Tls:CertificateFile", issued.CertificateFile).Set("Dns:Tls:KeyFile", issued.KeyFile));

        (int strict, string verified) = await Kdig.RunAsync(Dot(daemon), "+tls", $"+tls-ca={ca.CaFile}", $"+tls-hostname=kids-tablet.{ServerName}",
            $"+tls-sni=kids-tablet.{ServerName}", "tracking.miui.com", "A", "+short");
        Assert.AreEqual(0, strict, verified);
        Assert.AreEqual("0.0.0.0", verified.Trim(), "a client that checks the name and the CA (Android's strict mode) gets answers");
        Assert.AreEqual(issued.Certificate.Thumbprint, await TlsProbe.PresentedAsync(Dot(daemon), ServerName));

        ServerCertificate renewed = ca.Issue("renewed", [ServerName, $"*.{ServerName}"], [IPAddress.Loopback]);
        File.Copy(renewed.KeyFile, issued.KeyFile, overwrite: true);
        File.Copy(renewed.CertificateFile, issued.CertificateFile, overwrite: true);
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); await TlsProbe.PresentedAsync(Dot(daemon), ServerName) != renewed.Certificate.Thumbprint; await Task.Delay(100))
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(20), waited.Elapsed, "the renewed certificate is served");
        }

        File.WriteAllText(issued.CertificateFile, "not a certificate\n");
        Assert.IsFalse(daemon.Get<DnsServer>().TlsCertificates!.ReloadIfChanged(), "a file that does not load is not taken");
        Assert.AreEqual(renewed.Certificate.Thumbprint, await TlsProbe.PresentedAsync(Dot(daemon), ServerName), "a file that does not load keeps the last good certificate");
    }

    [TestMethod]
    public async Task SilentClients_HoldNoOneUp_AreClosedAfterTheHandshakeTimeout_AndPastTheCapAtOnce()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, c => c.Set("Dns:Tls:HandshakeTimeout", "1s").Set("Dns:Tls:MaxHandshakes", "3"));
        IPEndPoint dot = Dot(daemon);
        using Socket silent1 = await TlsProbe.ConnectAsync(dot);
        using Socket silent2 = await TlsProbe.ConnectAsync(dot);

        (int code, string answer) = await Kdig.RunAsync(dot, "+tls", $"+tls-sni=kids-tablet.{ServerName}", "tracking.miui.com", "A", "+short");
        Assert.AreEqual(0, code, answer);
        Assert.AreEqual("0.0.0.0", answer.Trim(), "answered while two clients sit in their handshakes");

        using Socket silent3 = await TlsProbe.ConnectAsync(dot);
        using Socket overCap = await TlsProbe.ConnectAsync(dot);
        Assert.AreEqual(0, await TlsProbe.ReadOrClosedAsync(overCap, TimeSpan.FromSeconds(5)), "past Dns:Tls:MaxHandshakes: closed at once");
        Assert.AreEqual(0, await TlsProbe.ReadOrClosedAsync(silent1, TimeSpan.FromSeconds(10)), "a silent client is closed after the handshake timeout");
        Assert.AreEqual(0, await TlsProbe.ReadOrClosedAsync(silent3, TimeSpan.FromSeconds(10)));
    }

    [TestMethod]
    public async Task OneConnection_CarriesPipelinedQueries_AnsweredWithTheirIds()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        using Socket socket = await TlsProbe.ConnectAsync(Dot(daemon));
        await using var tls = new SslStream(new NetworkStream(socket));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = $"kids-tablet.{ServerName}",
            ApplicationProtocols = [new SslApplicationProtocol("dot")],
            RemoteCertificateValidationCallback = TlsProbe.Presented,
        });
        Assert.AreEqual("dot", tls.NegotiatedApplicationProtocol.ToString());

        byte[] all = [.. new ushort[] { 1, 2, 3 }.SelectMany(id => Framed(RawMessage.Query(id == 2 ? "example.org" : "tracking.miui.com", 1, id)))];
        await tls.WriteAsync(all); // three queries in one write, before any answer
        var ids = new HashSet<ushort>();
        for (int i = 0; i < 3; i++)
        {
            byte[] prefix = new byte[2];
            await tls.ReadExactlyAsync(prefix);
            byte[] answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
            await tls.ReadExactlyAsync(answer);
            ids.Add(BinaryPrimitives.ReadUInt16BigEndian(answer));
        }

        CollectionAssert.AreEquivalent(new ushort[] { 1, 2, 3 }, ids.ToArray());
    }

    private static byte[] Framed(byte[] message)
    {
        byte[] framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        return framed;
    }
}
