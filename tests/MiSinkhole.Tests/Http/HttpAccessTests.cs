using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using MiSinkhole.Http;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// Who may use the HTTP listener, through the real daemon over real sockets: every /api endpoint
/// needs the token (reads too), the daemon makes one (0600) when none is configured,
/// Http:TrustLoopback, Http:MetricsToken, Http:AllowedHosts and the Host check, and what a
/// changing request accepts (the Bearer header only, no foreign Origin).
/// </summary>
[TestClass]
public sealed class HttpAccessTests
{
    private const string Token = "correct-horse-battery-staple";
    private const string MetricsToken = "prometheus-scrapes-this-one";

    /// <summary>Every endpoint of the API, with a request that it answers 2xx or 4xx (never 401) once the token is there.</summary>
    private static readonly (string Method, string Url)[] ApiEndpoints =
    [
        ("GET", "/api/stats"), ("GET", "/api/querylog"), ("GET", "/api/querylog?name=xiaomi.com"), ("GET", "/api/devices"),
        ("GET", "/api/unclassified"), ("GET", "/api/explain?name=data.mistat.xiaomi.com"),
        ("POST", "/api/pause?minutes=1"), ("POST", "/api/devices/phone/pause?minutes=1"), ("GET", "/API/devices"),
    ];

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, params (string Key, string? Value)[] settings) =>
        RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .Policy("strict", block: ["xiaomi-telemetry"])
                .Device("phone", null, "127.0.0.2")
                .SetAll(settings)
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\n" });

    private static async Task<HttpStatusCode> SendAsync(RunningDaemon daemon, string method, string url, Action<HttpRequestMessage>? setup = null)
    {
        using var http = new HttpClient { BaseAddress = daemon.HttpAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
        setup?.Invoke(request);
        using HttpResponseMessage response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static Action<HttpRequestMessage> Bearer(string token) => r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    [TestMethod]
    public async Task EveryApiEndpoint_NeedsTheToken_ReadsToo_AndTheRestStaysOpen()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, ("Http:ApiToken", Token));
        using var http = new HttpClient { BaseAddress = daemon.HttpAddress };

        foreach ((string method, string url) in ApiEndpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
            using HttpResponseMessage without = await http.SendAsync(request);
            HttpStatusCode wrong = await SendAsync(daemon, method, url, Bearer("not-the-token-at-all"));
            HttpStatusCode right = await SendAsync(daemon, method, url, Bearer(Token));

            Assert.AreEqual(HttpStatusCode.Unauthorized, without.StatusCode, $"{method} {url} without a token");
            StringAssert.StartsWith(without.Headers.WwwAuthenticate.ToString(), "Bearer realm=\"misinkhole\"");
            StringAssert.Contains(await without.Content.ReadAsStringAsync(), "Authorization: Bearer TOKEN");
            Assert.AreEqual(HttpStatusCode.Unauthorized, wrong, $"{method} {url} with a wrong token");
            Assert.IsTrue((int)right is >= 200 and < 300, $"{method} {url} with the token: {right}");
        }

        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/metrics"), "/metrics is open by default");
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/healthz"));
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/readyz"));
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task WithoutApiToken_TheDaemonMakesOneIn0600_InDataDirectory_NeverChmoddingIt_AndKeepsItAcrossStarts()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        string file = Path.Combine(data.Path, "api-token");
        // Every change of a file's mode is an IN_ATTRIB event; one on a marker file afterwards
        // says all earlier events have been seen (inotify keeps their order), so no sleep is needed.
        using var watcher = new FileSystemWatcher(data.Path) { NotifyFilter = NotifyFilters.Attributes, EnableRaisingEvents = true };
        var attributeChanges = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var markerSeen = new TaskCompletionSource();
        watcher.Changed += (_, e) =>
        {
            attributeChanges.Enqueue(e.Name!);
            if (e.Name == "marker")
            {
                markerSeen.TrySetResult();
            }
        };

        string first;
        await using (RunningDaemon daemon = await StartAsync(upstream, ("DataDirectory", data.Path)))
        {
            first = daemon.ApiToken;
            UnixFileMode mode = File.GetUnixFileMode(file);
            string marker = data.Write("marker", "");
            File.SetUnixFileMode(marker, UnixFileMode.UserRead);
            await markerSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode, "created owner-only");
            Assert.DoesNotContain("api-token", attributeChanges, "the mode was never changed after the file was created");
            Assert.AreEqual(first, File.ReadAllText(file).Trim());
            Assert.IsGreaterThanOrEqualTo(40, first.Length, "32 random bytes");
            Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/api/devices", Bearer(first)));
            Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "GET", "/api/devices"));
        }

        await using RunningDaemon again = await StartAsync(upstream, ("DataDirectory", data.Path));
        Assert.AreEqual(first, again.ApiToken, "kept: the next start reads it");
    }

    [TestMethod]
    public async Task TrustLoopback_LetsLoopbackCallersIn_WithoutAToken_ButNotAForeignOrigin()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon trusting = await StartAsync(upstream, ("Http:TrustLoopback", "true"));

        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(trusting, "GET", "/api/devices"));
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(trusting, "POST", "/api/pause?minutes=0"));
        Assert.AreEqual(HttpStatusCode.Forbidden, await SendAsync(trusting, "POST", "/api/pause?minutes=5", r => r.Headers.Add("Origin", "http://evil.example")),
            "a page of another site, in a browser on this machine, cannot use the trust");
        Assert.IsFalse(trusting.Get<MiSinkhole.Core.Devices.BlockingPause>().IsPaused("phone"));
    }

    [TestMethod]
    public async Task MetricsToken_ClosesMetrics_ToAnyoneWithoutItOrTheApiToken_AndHealthStaysOpen()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, ("Http:ApiToken", Token), ("Http:MetricsToken", MetricsToken));

        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "GET", "/metrics"));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "GET", "/metrics", Bearer("not-the-metrics-token")));
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/metrics", Bearer(MetricsToken)));
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/metrics", Bearer(Token)));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "GET", "/api/devices", Bearer(MetricsToken)), "the metrics token opens only /metrics");
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/healthz"));
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/readyz"));
    }

    [TestMethod]
    [DataRow("evil.example", 421)]
    [DataRow("rebound.attacker.example:9153", 421)]
    [DataRow("misinkhole.lan", 200)]
    [DataRow("MiSinkhole.LAN:9153", 200)]
    [DataRow("localhost", 200)]
    [DataRow("127.0.0.1", 200)]
    [DataRow("192.168.1.2:9153", 200)]
    [DataRow("[::1]:9153", 200)]
    public async Task HostHeader_MustBeAnIpLiteral_Localhost_OrAnAllowedHost(string host, int expected)
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, ("Http:ApiToken", Token), ("Http:AllowedHosts:0", "misinkhole.lan"));

        foreach (string url in (string[])["/api/devices", "/metrics", "/healthz"])
        {
            Assert.AreEqual((HttpStatusCode)expected, await SendAsync(daemon, "GET", url, r =>
            {
                r.Headers.Host = host;
                r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            }), url);
        }
    }

    [TestMethod]
    public async Task WithoutAllowedHosts_AName_Gets421_AndNoHostAtAll_Gets400()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        HttpStatusCode named = await SendAsync(daemon, "GET", "/healthz", r => r.Headers.Host = "misinkhole.lan");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(daemon.HttpAddress.Host, daemon.HttpAddress.Port);
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.0\r\n\r\n"));
        string answer = await new StreamReader(tcp.GetStream()).ReadToEndAsync();

        Assert.AreEqual(HttpStatusCode.MisdirectedRequest, named);
        StringAssert.StartsWith(answer, "HTTP/1.1 400");
    }

    [TestMethod]
    public async Task Changes_TakeTheTokenOnlyAsBearer_NeverFromTheQueryStringOrACookie_AndRefuseAForeignOrigin()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, ("Http:ApiToken", Token));
        string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Token));
        string self = daemon.HttpAddress.GetLeftPart(UriPartial.Authority);

        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "POST", $"/api/pause?minutes=5&access_token={Token}"));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "POST", $"/api/pause?minutes=5&token={Token}"));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "POST", "/api/pause?minutes=5", r => r.Headers.Add("Cookie", $"token={Token}; access_token={Token}")));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "POST", "/api/pause?minutes=5", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic)),
            "a browser sends Basic credentials by itself: not for changes");
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "GET", "/api/devices", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic)),
            "reads take it as a Basic password too, so a browser can show them");
        Assert.AreEqual(HttpStatusCode.Unauthorized, await SendAsync(daemon, "GET", $"/api/devices?access_token={Token}"));
        Assert.AreEqual(HttpStatusCode.Forbidden, await SendAsync(daemon, "POST", "/api/pause?minutes=5", r =>
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            r.Headers.Add("Origin", "http://evil.example");
        }));
        Assert.AreEqual(HttpStatusCode.Forbidden, await SendAsync(daemon, "POST", "/api/pause?minutes=5", r =>
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            r.Headers.Add("Origin", "null");
        }));
        Assert.IsFalse(daemon.Get<MiSinkhole.Core.Devices.BlockingPause>().IsPaused("phone"), "nothing above paused anything");
        Assert.AreEqual(HttpStatusCode.OK, await SendAsync(daemon, "POST", "/api/pause?minutes=5", r =>
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            r.Headers.Add("Origin", self);
        }), "its own origin");
        Assert.IsTrue(daemon.Get<MiSinkhole.Core.Devices.BlockingPause>().IsPaused("phone"));
    }

    [TestMethod]
    public async Task QuickStart_LogsWhereItsTokenIs_AndApiTokenPrintsIt_WithoutAnyOption()
    {
        await using var upstream = new FakeUpstream();
        using var state = new TempDirectory();
        int httpPort = DaemonProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["XDG_STATE_HOME"] = state.Path,
            ["MISINKHOLE__Dns__Listen__0"] = $"127.0.0.1:{DaemonProcess.FreePort()}",
            ["MISINKHOLE__Http__Listen"] = $"127.0.0.1:{httpPort}",
        };
        string file = Path.Combine(state.Path, "misinkhole", ApiTokenFile.FileName);
        await using DaemonProcess daemon = DaemonProcess.Start(["--Upstreams:Servers:0=" + upstream.Address], environment);
        await daemon.WaitForOutputAsync("Serving HTTP on", TimeSpan.FromSeconds(30));
        await daemon.WaitForOutputAsync($"API token: none in Http:ApiToken, so one was made in {file} (mode 0600)", TimeSpan.FromSeconds(30));
        await using DaemonProcess verb = DaemonProcess.Start(["api-token"], environment);
        await verb.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        verb.Process.WaitForExit();
        // The token is standard output; the line saying where it is comes on standard error, in either order here.
        string printed = verb.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(line => !line.StartsWith("misinkhole:", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/devices", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", printed);
        using HttpResponseMessage devices = await http.SendAsync(request);

        Assert.AreEqual(0, verb.Process.ExitCode, verb.Output);
        Assert.AreEqual(File.ReadAllText(file).Trim(), printed);
        Assert.AreEqual(HttpStatusCode.OK, devices.StatusCode);
        Assert.DoesNotContain(printed, daemon.Output, "the log says where the token is, never what it is");
    }

    [TestMethod]
    public async Task ApiTokenVerb_PrintsTheTokenTheDaemonMade_AndSaysWhyWhenItCannot()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, ("DataDirectory", data.Path));
        using var elsewhere = new TempDirectory();

        (int exit, string output) = await DaemonProcess.RunAsync("api-token", $"--DataDirectory={data.Path}");
        (int missing, string missingOutput) = await DaemonProcess.RunAsync("api-token", $"--DataDirectory={elsewhere.Path}");
        (int configured, string configuredOutput) = await DaemonProcess.RunAsync("api-token", $"--Http:ApiToken={Token}", $"--DataDirectory={elsewhere.Path}");

        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, daemon.ApiToken);
        StringAssert.Contains(output, Path.Combine(data.Path, ApiTokenFile.FileName));
        Assert.AreEqual(1, missing);
        StringAssert.Contains(missingOutput, $"there is no API token file at {Path.Combine(elsewhere.Path, ApiTokenFile.FileName)}");
        StringAssert.Contains(missingOutput, "--DataDirectory=/var/lib/misinkhole under systemd, /data in the Docker image");
        Assert.AreEqual(0, configured, configuredOutput);
        StringAssert.Contains(configuredOutput, Token);
    }
}
