using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// A real Prometheus (Debian package) scrapes the daemon process while queries flow; every PromQL
/// expression of the Grafana dashboard and of the alert rules is then evaluated through
/// Prometheus's HTTP API and must return data. The traffic makes every alert true on purpose: a
/// failing upstream, a list URL that fails, a query log that cannot keep up, Xiaomi telemetry, a
/// shared state whose database is not there, a second target that is down.
/// </summary>
[TestClass]
public sealed partial class PrometheusTests
{
    [TestMethod]
    public async Task DashboardAndAlertExpressions_ReturnDataFromARealPrometheus()
    {
        const string MetricsToken = "prometheus-scrapes-with-this-token"; // /metrics closed, as config/prometheus/prometheus.yml shows how to scrape it then
        if (!File.Exists("/usr/bin/prometheus") || !File.Exists("/usr/bin/promtool"))
        {
            Assert.Inconclusive("prometheus not installed (Debian package prometheus; .ci/run installs it)");
        }

        string alerts = RepositoryPaths.File("config", "prometheus", "alerts.yml");
        Assert.AreEqual(0, await RunAsync("promtool", "check", "rules", alerts), "promtool check rules");
        Assert.AreEqual(0, await RunAsync("promtool", "check", "config", RepositoryPaths.File("config", "prometheus", "prometheus.yml")), "promtool check config");
        Assert.AreEqual(0, await RunAsync("promtool", "check", "config", RepositoryPaths.File("config", "prometheus", "compose.yml")), "promtool check config (compose)");
        Assert.AreEqual(0, await RunAsync("promtool", "check", "config", RepositoryPaths.File("config", "prometheus", "compose-two.yml")), "promtool check config (two instances)");

        int staleAnswered = 0;
        await using var upstream = new FakeUpstream
        {
            // "stale…" is answered once with a 1 s TTL, then SERVFAIL: the expired answer is served stale.
            Handler = q => q.Name.StartsWith("fail", StringComparison.Ordinal)
                || (q.Name.StartsWith("stale", StringComparison.Ordinal) && Interlocked.Exchange(ref staleAnswered, 1) == 1)
                ? (FakeReply)RawMessage.ResponseTo(q.Raw, rcode: 2).ToArray()
                : q.Name.StartsWith("stale", StringComparison.Ordinal) ? (FakeReply)RawMessage.ResponseTo(q.Raw).A(null, 1, "192.0.2.9").ToArray()
                : FakeUpstream.DefaultAnswer(q),
        };
        using var goodList = new FakeListServer { Body = "ads.example.net\nmore.ads.example.net\n" };
        using var badList = new FakeListServer { Status = 500 };
        using var dir = new TempDirectory();
        // An encrypted upstream too (unbound with DoT and DoH in front of its own authoritative),
        // for the names under dot.example and doh.example, so the connection panels get data.
        using var certificates = new TestCertificates(dir.Path);
        ServerCertificate certificate = certificates.Issue("upstream", ["upstream.test"], [IPAddress.Loopback]);
        await using var authoritative = new FakeUpstream();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(authoritative, certificate);
        dir.Write("telemetry.txt", "||mistat.xiaomi.com^\n");
        dir.Write("essential.txt", "update.miui.com\n");
        dir.Write("bypass.txt", "|dns.google^\n");
        dir.Write("zones.txt", "xiaomi.com\nmiui.com\n");
        dir.Write("misinkhole.json", $$"""
            {
              "Lists": {
                "xiaomi-telemetry": { "Sources": [ "telemetry.txt" ] },
                "xiaomi-essential": { "Sources": [ "essential.txt" ] },
                "ads": { "Sources": [ "{{goodList.Url}}" ], "AllowHttp": true },
                "broken": { "Sources": [ "{{badList.Url}}" ], "AllowHttp": true },
                "dns-bypass": { "Sources": [ "bypass.txt" ], "BlockResponse": "NxDomain" },
                "xiaomi-zones": { "Sources": [ "zones.txt" ] }
              },
              "Discovery": { "Zones": [ "xiaomi-zones" ] },
              "Policies": {
                "strict": { "Block": [ "xiaomi-telemetry", "ads", "broken" ], "Log": [ "dns-bypass" ], "Allow": [ "xiaomi-essential" ] },
                "observe": { "Log": [ "xiaomi-telemetry" ], "Allow": [ "xiaomi-essential" ] }
              },
              "DefaultPolicy": "strict",
              "Devices": { "old-phone": { "Match": [ "127.0.0.2" ] }, "new-phone": { "Match": [ "127.0.0.3" ], "Policy": "observe" } },
              "QueryLog": { "Record": "All", "QueueSize": 100, "FlushInterval": "1h" },
              "Upstreams": {
                "CaFile": "{{certificates.CaFile}}", "AttemptTimeout": "2s",
                "Conditional": { "dot.example": [ "{{unbound.TlsUpstream("upstream.test")}}" ], "doh.example": [ "{{unbound.HttpsUpstream()}}" ] }
              },
              "Http": { "MetricsToken": "{{MetricsToken}}" },
              "State": { "Provider": "Postgres", "ConnectionString": "Host=127.0.0.1;Port={{DaemonProcess.FreePort()}};Username=misinkhole;Timeout=1" }
            }
            """);
        string tokenFile = dir.Write("metrics-token", MetricsToken + "\n");
        int dnsPort = DaemonProcess.FreePort();
        int httpPort = DaemonProcess.FreePort();
        int prometheusPort = DaemonProcess.FreePort();
        await using DaemonProcess daemon = DaemonProcess.Start(["--config", Path.Combine(dir.Path, "misinkhole.json"), $"--Dns:Listen:0=127.0.0.1:{dnsPort}",
            $"--Http:Listen=127.0.0.1:{httpPort}", $"--Upstreams:Servers:0={upstream.Address}", $"--DataDirectory={dir.Path}"]);
        await daemon.WaitForOutputAsync("Serving HTTP on", TimeSpan.FromSeconds(30));

        dir.Write("prometheus.yml", $$"""
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            rule_files: [ "{{alerts}}" ]
            scrape_configs:
              - job_name: misinkhole
                static_configs: [ { targets: [ "127.0.0.1:{{httpPort}}", "127.0.0.1:{{DaemonProcess.FreePort()}}" ] } ]
                authorization: { credentials_file: "{{tokenFile}}" }
            """);
        using var prometheus = Process.Start(new ProcessStartInfo("prometheus",
            $"--config.file={Path.Combine(dir.Path, "prometheus.yml")} --storage.tsdb.path={Path.Combine(dir.Path, "tsdb")} --web.listen-address=127.0.0.1:{prometheusPort}")
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var stop = new CancellationTokenSource();
            Task traffic = SendTrafficAsync(new IPEndPoint(IPAddress.Loopback, dnsPort), stop.Token);
            string[] expressions = [.. DashboardExpressions(), .. AlertExpressions(alerts)];
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{prometheusPort}") };
            var missing = new List<string>(expressions);
            var deadline = Stopwatch.StartNew();
            while (missing.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(1000);
                foreach (string expression in missing.ToArray())
                {
                    if (await HasDataAsync(http, expression))
                    {
                        missing.Remove(expression);
                    }
                }
            }

            await stop.CancelAsync();
            await traffic;
            Assert.IsGreaterThan(15, expressions.Length);
            Assert.IsEmpty(missing, "expressions without data:\n" + string.Join("\n", missing) + "\n" + daemon.Output);
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
        }
    }

    /// <summary>Blocked, logged, allowed, cached and failing queries from three clients, until stopped.</summary>
    private static async Task SendTrafficAsync(IPEndPoint server, CancellationToken stop)
    {
        IPAddress[] clients = [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4")];
        // Eight names over three clients (coprime), so every client asks for every name.
        string[] names = ["data.mistat.xiaomi.com", "update.miui.com", "ads.example.net", "example.org", "fail.example.org", "dns.google", "www.example.org", "unclassified.xiaomi.com"];
        for (ushort i = 0; !stop.IsCancellationRequested; i++)
        {
            await RawClient.UdpAsync(server, RawMessage.Query(names[i % names.Length], 1, i), TimeSpan.FromSeconds(1), clients[i % clients.Length]);
            await RawClient.UdpAsync(server, RawMessage.Query($"unique{i}.example.org", 28, i), TimeSpan.FromSeconds(1), clients[i % clients.Length]);
            await RawClient.UdpAsync(server, RawMessage.Query(i % 2 == 0 ? "stale.example.org" : "4.3.2.10.in-addr.arpa", (ushort)(i % 2 == 0 ? 1 : 12), i), TimeSpan.FromSeconds(1), clients[i % clients.Length]);
            await RawClient.UdpAsync(server, RawMessage.Query($"n{i}.{(i % 2 == 0 ? "dot" : "doh")}.example", 1, i), TimeSpan.FromSeconds(3), clients[i % clients.Length]);
            if (i % 20 == 0)
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.File("config", "grafana", "misinkhole-dashboard.json")));
        foreach (JsonElement panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (JsonElement target in panel.GetProperty("targets").EnumerateArray())
            {
                // Grafana's variables, as Grafana would fill them in for a short range.
                yield return target.GetProperty("expr").GetString()!
                    .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                    .Replace("$__range", "5m", StringComparison.Ordinal)
                    .Replace("$device", ".*", StringComparison.Ordinal)
                    .Replace("$instance", ".*", StringComparison.Ordinal);
            }
        }
    }

    private static IEnumerable<string> AlertExpressions(string file) =>
        AlertExpression().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value.Trim());

    private static async Task<bool> HasDataAsync(HttpClient http, string expression)
    {
        JsonElement answer = await http.GetFromJsonAsync<JsonElement>($"/api/v1/query?query={Uri.EscapeDataString(expression)}");
        return answer.GetProperty("status").GetString() == "success" && answer.GetProperty("data").GetProperty("result").GetArrayLength() > 0;
    }

    private static async Task<int> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    [GeneratedRegex(@"^\s+expr:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex AlertExpression();
}
