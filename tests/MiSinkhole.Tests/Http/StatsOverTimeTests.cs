using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// What the overview draws, from real queries through the daemon and its SQLite log: per device
/// the queries, blocked, only logged and DNS-bypass attempts, by category; and the same over time
/// in equal steps.
/// </summary>
[TestClass]
public sealed class StatsOverTimeTests
{
    private static async Task<RunningDaemon> StartWithTrafficAsync(FakeUpstream upstream)
    {
        RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .List("dns-bypass", "bypass.txt")
                .Policy("strict", block: ["xiaomi-telemetry"], log: ["dns-bypass"])
                .Policy("observe", log: ["xiaomi-telemetry", "dns-bypass"])
                .DefaultPolicy("observe")
                .Device("tv", "strict", "127.0.0.2")
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\n", ["bypass.txt"] = "mask.icloud.com\ndns.google\n" });
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "tracking.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "mask.icloud.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "dns.google", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "tracking.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "tracking.miui.com", "AAAA");
        daemon.Get<QueryLogWriter>().Flush();
        return daemon;
    }

    [TestMethod]
    public async Task PerDevice_CountsBlockedLoggedAndBypass_ByCategory()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartWithTrafficAsync(upstream);
        using HttpClient http = daemon.ApiClient();

        JsonElement stats = await http.GetFromJsonAsync<JsonElement>("/api/stats?since=1h");

        JsonElement[] devices = [.. stats.GetProperty("perDevice").EnumerateArray()];
        JsonElement tv = devices.Single(d => d.GetProperty("device").GetString() == "tv");
        // example.org is not in the log: by default it keeps only what a list decided (QueryLog:Record).
        Assert.AreEqual((3L, 1L, 2L, 2L), (tv.GetProperty("queries").GetInt64(), tv.GetProperty("blocked").GetInt64(), tv.GetProperty("logged").GetInt64(), tv.GetProperty("bypass").GetInt64()));
        CollectionAssert.AreEqual(new[] { "dns-bypass 0 2", "xiaomi-telemetry 1 0" },
            tv.GetProperty("categories").EnumerateArray().Select(c => $"{c.GetProperty("category").GetString()} {c.GetProperty("blocked").GetInt64()} {c.GetProperty("logged").GetInt64()}").ToArray(), "most queries first");
        JsonElement other = devices.Single(d => d.GetProperty("device").GetString() != "tv");
        Assert.AreEqual((2L, 0L, 2L, 0L), (other.GetProperty("queries").GetInt64(), other.GetProperty("blocked").GetInt64(), other.GetProperty("logged").GetInt64(), other.GetProperty("bypass").GetInt64()));
    }

    [TestMethod]
    public async Task TheTimeline_HasEveryStep_AndTheQueriesInTheLastOne()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartWithTrafficAsync(upstream);
        using HttpClient http = daemon.ApiClient();

        JsonElement all = await http.GetFromJsonAsync<JsonElement>("/api/stats/timeline?since=1h&step=5m");
        JsonElement tv = await http.GetFromJsonAsync<JsonElement>("/api/stats/timeline?since=1h&step=5m&device=tv");
        JsonElement hourly = await http.GetFromJsonAsync<JsonElement>("/api/stats/timeline?since=24h");

        JsonElement[] steps = [.. all.GetProperty("buckets").EnumerateArray()];
        Assert.AreEqual(12, steps.Length, "an hour in 5-minute steps, empty ones too");
        Assert.AreEqual(5, steps.Sum(s => s.GetProperty("queries").GetInt64()), "what the log keeps: example.org is not in it");
        Assert.AreEqual(5, steps[^1].GetProperty("queries").GetInt64() + steps[^2].GetProperty("queries").GetInt64(), "the queries were just now");
        Assert.AreEqual((1L, 4L, 2L), (steps.Sum(s => s.GetProperty("blocked").GetInt64()), steps.Sum(s => s.GetProperty("logged").GetInt64()), steps.Sum(s => s.GetProperty("bypass").GetInt64())));
        Assert.AreEqual(3, tv.GetProperty("buckets").EnumerateArray().Sum(s => s.GetProperty("queries").GetInt64()), "one device's");
        Assert.AreEqual(24, hourly.GetProperty("buckets").GetArrayLength(), "a day: hourly steps by default");
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/api/stats/timeline?since=500h&step=1h")).StatusCode, "500 steps are allowed");
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.GetAsync("/api/stats/timeline?since=7d&step=1m")).StatusCode, "too many steps");
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.GetAsync("/api/stats/timeline?step=soon")).StatusCode);
    }
}
