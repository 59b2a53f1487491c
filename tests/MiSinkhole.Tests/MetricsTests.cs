using System.Diagnostics;
using System.Text.RegularExpressions;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>/metrics of the running daemon: names, labels, values, and promtool's lint.</summary>
[TestClass]
public sealed partial class MetricsTests
{
    private static readonly string[] QueryTypes = ["A", "AAAA", "HTTPS", "SVCB", "CNAME", "MX", "TXT", "PTR", "SRV", "NS", "SOA", "ANY", "other"];
    private static readonly string[] Outcomes = ["blocked", "cached", "forwarded", "failed", "refused", "formerr", "notimp", "dropped", "stale"];

    /// <summary>
    /// Runs the daemon as its own process (metrics are per process: daemons hosted side by side
    /// in the test process would see each other's meters), sends known traffic, then scrapes.
    /// </summary>
    private static async Task<(DaemonProcess Daemon, TempDirectory Dir, string Metrics)> ScrapeAfterTrafficAsync(FakeUpstream upstream)
    {
        var dir = new TempDirectory();
        dir.Write("telemetry.txt", "data.mistat.xiaomi.com\n");
        dir.Write("essential.txt", "update.miui.com\n");
        dir.Write("zones.txt", "xiaomi.com\nmiui.com\n");
        dir.Write("misinkhole.json", """
            {
              "Lists": { "xiaomi-telemetry": { "Sources": [ "telemetry.txt" ] }, "xiaomi-essential": { "Sources": [ "essential.txt" ] }, "xiaomi-zones": { "Sources": [ "zones.txt" ] } },
              "Discovery": { "Zones": [ "xiaomi-zones" ] },
              "Policies": {
                "strict": { "Block": [ "xiaomi-telemetry" ], "Allow": [ "xiaomi-essential" ] },
                "observe": { "Log": [ "xiaomi-telemetry" ] }
              },
              "DefaultPolicy": "strict",
              "Devices": { "old-phone": { "Match": [ "127.0.0.2" ] }, "new-phone": { "Match": [ "127.0.0.3" ], "Policy": "observe" } }
            }
            """);
        int port = DaemonProcess.FreePort();
        int httpPort = DaemonProcess.FreePort();
        DaemonProcess daemon = DaemonProcess.Start(["--config", Path.Combine(dir.Path, "misinkhole.json"), $"--Dns:Listen:0=127.0.0.1:{port}",
            $"--Http:Listen=127.0.0.1:{httpPort}", $"--Upstreams:Servers:0={upstream.Address}", $"--DataDirectory={dir.Path}", "--Instance:Name=living-room-pi"]);
        await daemon.WaitForOutputAsync("Serving HTTP on", TimeSpan.FromSeconds(30));
        var server = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        await Dig.RunAsync(server, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(server, "-b", "127.0.0.2", "update.miui.com", "AAAA");
        await Dig.RunAsync(server, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(server, "-b", "127.0.0.2", "unclassified.xiaomi.com", "A");
        await Dig.RunAsync(server, "-b", "127.0.0.9", "example.org", "TXT");
        await Dig.RunAsync(server, "-b", "127.0.0.9", "+tcp", "example.org", "TXT");
        await Dig.RunAsync(server, "-b", "127.0.0.9", "example.org", "TYPE65280");
        await RawClient.UdpAsync(server, [0x12, 0x34, 0x01, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0], TimeSpan.FromSeconds(2)); // QDCOUNT 2: FORMERR
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        return (daemon, dir, await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
    }

    [TestMethod]
    public async Task EverySeriesOfOurs_CarriesTheInstanceName()
    {
        await using var upstream = new FakeUpstream();
        (DaemonProcess daemon, TempDirectory dir, string metrics) = await ScrapeAfterTrafficAsync(upstream);
        using (dir)
        await using (daemon)
        {
            string[] ours = [.. metrics.Split('\n').Where(l => l.StartsWith("misinkhole_", StringComparison.Ordinal))];
            Assert.IsGreaterThan(50, ours.Length, "the daemon's series");
            string[] without = [.. ours.Where(l => !l.Contains("otel_scope_instance=\"living-room-pi\"", StringComparison.Ordinal))];
            Assert.IsEmpty(without, "every series names its instance (Instance:Name); first without: " + without.FirstOrDefault());
        }
    }

    [TestMethod]
    public async Task Metrics_CountWhatWasStoppedPerDeviceAndCategory_WithBoundedLabels()
    {
        await using var upstream = new FakeUpstream();
        (DaemonProcess daemon, TempDirectory dir, string metrics) = await ScrapeAfterTrafficAsync(upstream);
        using (dir)
        await using (daemon)
        {
            Assert.AreEqual(1, Value(metrics, "misinkhole_policy_matches_total", "action=\"blocked\",category=\"xiaomi-telemetry\",device=\"old-phone\""), metrics);
            Assert.AreEqual(1, Value(metrics, "misinkhole_policy_matches_total", "action=\"allowed\",category=\"xiaomi-essential\",device=\"old-phone\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_policy_matches_total", "action=\"logged\",category=\"xiaomi-telemetry\",device=\"new-phone\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_dns_queries_total", "outcome=\"blocked\",qtype=\"A\",transport=\"udp\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_dns_queries_total", "outcome=\"cached\",qtype=\"TXT\",transport=\"tcp\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_dns_queries_total", "outcome=\"forwarded\",qtype=\"other\",transport=\"udp\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_dns_queries_total", "outcome=\"formerr\",qtype=\"other\",transport=\"udp\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_cache_hits_total", ""));
            Assert.AreEqual(5, Value(metrics, "misinkhole_cache_misses_total", ""), "update.miui.com, the logged name, the unclassified one, example.org TXT and TYPE65280");
            Assert.IsGreaterThan(0, Value(metrics, "misinkhole_cache_size_bytes", ""), "what the cached answers hold, as Cache:MaxBytes counts it");
            Assert.AreEqual(1, Value(metrics, "misinkhole_rules_loaded", "list=\"xiaomi-telemetry\""));
            Assert.AreEqual(5, Value(metrics, "misinkhole_upstream_queries_total", $"protocol=\"udp\",result=\"ok\",upstream=\"{upstream.Address}\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_unclassified_queries_total", "device=\"old-phone\""));
            Assert.AreEqual(1, Value(metrics, "misinkhole_unclassified_names", "device=\"old-phone\""));
            Assert.DoesNotContain("unclassified.xiaomi.com", metrics, "names are never labels");
            Assert.IsGreaterThan(0, Value(metrics, "misinkhole_dns_query_duration_seconds_count", "outcome=\"forwarded\""));
            Assert.AreEqual(3, Value(metrics, "misinkhole_inventory_clients", ""));

            foreach (Match sample in SampleLine().Matches(metrics))
            {
                string name = sample.Groups["name"].Value;
                Dictionary<string, string> labels = LabelPair().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                Assert.IsTrue(name.StartsWith("misinkhole_", StringComparison.Ordinal) || name.StartsWith("dotnet_", StringComparison.Ordinal) || name == "target_info", name);
                if (labels.TryGetValue("device", out string? device))
                {
                    CollectionAssert.Contains(new[] { "old-phone", "new-phone", "unknown" }, device, "devices are configured names or unknown, never addresses");
                }

                if (labels.TryGetValue("qtype", out string? qtype))
                {
                    CollectionAssert.Contains(QueryTypes, qtype);
                }

                if (labels.TryGetValue("outcome", out string? outcome))
                {
                    CollectionAssert.Contains(Outcomes, outcome);
                }

                if (labels.TryGetValue("action", out string? action))
                {
                    CollectionAssert.Contains(new[] { "blocked", "logged", "allowed" }, action);
                }
            }
        }
    }

    [TestMethod]
    public async Task Promtool_AcceptsTheExposition()
    {
        if (!File.Exists("/usr/bin/promtool"))
        {
            Assert.Inconclusive("promtool not installed (Debian package prometheus; .ci/run installs it)");
        }

        await using var upstream = new FakeUpstream();
        (DaemonProcess daemon, TempDirectory dir, string metrics) = await ScrapeAfterTrafficAsync(upstream);
        using (dir)
        await using (daemon)
        {
            var start = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using Process promtool = Process.Start(start)!;
            await promtool.StandardInput.WriteAsync(metrics);
            promtool.StandardInput.Close();
            string output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
            await promtool.WaitForExitAsync();

            Assert.AreEqual(0, promtool.ExitCode, output);
        }
    }

    private static double Value(string metrics, string name, string labels)
    {
        foreach (Match sample in SampleLine().Matches(metrics))
        {
            if (sample.Groups["name"].Value == name && SortedLabels(sample.Groups["labels"].Value) == labels)
            {
                return double.Parse(sample.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    /// <summary>The labels of a sample without the OpenTelemetry scope labels, sorted by name.</summary>
    private static string SortedLabels(string labels) =>
        string.Join(",", LabelPair().Matches(labels).Select(m => m.Value).Where(l => !l.StartsWith("otel_scope", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"")]
    private static partial Regex LabelPair();
}
