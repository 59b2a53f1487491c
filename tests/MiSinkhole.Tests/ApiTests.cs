using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The /api endpoints of the running daemon, over real HTTP.</summary>
[TestClass]
public sealed class ApiTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, TempDirectory data, string? token = null, params (string Key, string? Value)[] more) =>
        RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .Policy("strict", block: ["xiaomi-telemetry"])
                .Policy("observe", log: ["xiaomi-telemetry"])
                .DefaultPolicy("strict")
                .Device("old-phone", null, "127.0.0.2")
                .Device("new-phone", "observe", "127.0.0.3")
                .Set("DataDirectory", data.Path)
                .Set("Http:ApiToken", token)
                .SetAll(more)
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\ntracking.miui.com\n" });

    private static async Task TrafficAsync(RunningDaemon daemon)
    {
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "tracking.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.4", "example.org", "A");
        daemon.Get<QueryLogWriter>().Flush();
    }

    [TestMethod]
    public async Task QueryLogStatsDevicesAndExplain_AnswerJson()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data);
        await TrafficAsync(daemon);
        using HttpClient http = daemon.ApiClient();

        JsonElement page1 = await http.GetFromJsonAsync<JsonElement>("/api/querylog?limit=2");
        JsonElement page2 = await http.GetFromJsonAsync<JsonElement>($"/api/querylog?limit=2&cursor={page1.GetProperty("nextCursor").GetString()}");
        JsonElement logged = await http.GetFromJsonAsync<JsonElement>("/api/querylog?device=new-phone&action=logged&name=xiaomi.com");
        JsonElement stats = await http.GetFromJsonAsync<JsonElement>("/api/stats?since=1h");
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>("/api/devices");
        JsonElement explain = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=data.mistat.xiaomi.com&device=new-phone");

        string[] newestFirst = [.. page1.GetProperty("items").EnumerateArray().Concat(page2.GetProperty("items").EnumerateArray()).Select(r => $"{r.GetProperty("device").GetString()} {r.GetProperty("name").GetString()} {r.GetProperty("count").GetInt64()}")];
        CollectionAssert.AreEqual(new[] { "new-phone data.mistat.xiaomi.com 1", "old-phone tracking.miui.com 1", "old-phone data.mistat.xiaomi.com 2" }, newestFirst, "a repeat within the minute is its row's count");
        JsonElement row = logged.GetProperty("items").EnumerateArray().Single();
        Assert.AreEqual("mistat.xiaomi.com", row.GetProperty("rule").GetString());
        Assert.AreEqual("forwarded", row.GetProperty("outcome").GetString());
        Assert.AreEqual(JsonValueKind.Null, logged.GetProperty("nextCursor").ValueKind);
        Assert.AreEqual(4, stats.GetProperty("total").GetInt64());
        Assert.AreEqual(3, stats.GetProperty("byOutcome").GetProperty("blocked").GetInt64());
        Assert.AreEqual(3, stats.GetProperty("byDevice").GetProperty("old-phone").GetInt64());
        Assert.AreEqual(4, stats.GetProperty("byCategory").GetProperty("xiaomi-telemetry").GetInt64());
        JsonElement top = stats.GetProperty("topBlocked").GetProperty("old-phone")[0];
        Assert.AreEqual(("data.mistat.xiaomi.com", 2L), (top.GetProperty("name").GetString(), top.GetProperty("count").GetInt64()));
        Assert.AreEqual("data.mistat.xiaomi.com", stats.GetProperty("topLogged").GetProperty("new-phone")[0].GetProperty("name").GetString());
        Assert.AreEqual(2, devices.GetProperty("configured").GetArrayLength());
        JsonElement stranger = devices.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "127.0.0.4");
        Assert.IsFalse(stranger.GetProperty("isProbablyXiaomi").GetBoolean());
        Assert.IsTrue(devices.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "old-phone").GetProperty("isProbablyXiaomi").GetBoolean());
        Assert.AreEqual("logged", explain.GetProperty("action").GetString());
        Assert.AreEqual("observe", explain.GetProperty("policy").GetString());
    }

    [TestMethod]
    [DataRow("/api/querylog?limit=0", "limit")]
    [DataRow("/api/querylog?limit=abc", "limit")]
    [DataRow("/api/querylog?action=deleted", "action")]
    [DataRow("/api/querylog?cursor=-1", "cursor")]
    [DataRow("/api/querylog?name=bad..name", "name")]
    [DataRow("/api/stats?since=yesterday", "since")]
    [DataRow("/api/stats?since=Infinitys", "since")]
    [DataRow("/api/stats?since=10000000d", "since")]
    [DataRow("/api/explain", "name")]
    [DataRow("/api/explain?name=x.example&device=tablet", "device")]
    public async Task BadParameters_Get400WithAProblemBody(string url, string parameter)
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data);
        using HttpClient http = daemon.ApiClient();

        HttpResponseMessage response = await http.GetAsync(new Uri(url, UriKind.Relative));
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        StringAssert.Contains(problem.GetProperty("title").GetString(), parameter);
    }

    [TestMethod]
    public async Task Pause_WithTheToken_ThenBackByMinutesZero()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data);
        using HttpClient http = daemon.ApiClient();

        HttpResponseMessage paused = await http.PostAsync(new Uri("/api/devices/old-phone/pause?minutes=30", UriKind.Relative), null);
        DigResult answered = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        JsonElement explained = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/explain?name=data.mistat.xiaomi.com&device=127.0.0.2", UriKind.Relative));
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/devices", UriKind.Relative));
        HttpResponseMessage resumed = await http.PostAsync(new Uri("/api/devices/old-phone/pause?minutes=0", UriKind.Relative), null);
        DigResult blocked = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        HttpResponseMessage unknownDevice = await http.PostAsync(new Uri("/api/devices/tablet/pause?minutes=5", UriKind.Relative), null);
        HttpResponseMessage badMinutes = await http.PostAsync(new Uri("/api/pause?minutes=100000", UriKind.Relative), null);
        HttpResponseMessage all = await http.PostAsync(new Uri("/api/pause?minutes=5", UriKind.Relative), null);

        Assert.AreEqual(HttpStatusCode.OK, paused.StatusCode);
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", answered.Answers.Single());
        Assert.AreEqual("logged", explained.GetProperty("action").GetString()!.ToLowerInvariant(), "explain gives the answer the paused device gets");
        Assert.AreEqual(JsonValueKind.String, explained.GetProperty("pausedUntil").ValueKind);
        StringAssert.Contains(explained.GetProperty("why").GetString(), "blocking paused until");
        JsonElement oldPhone = devices.GetProperty("configured").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "old-phone");
        StringAssert.Contains(oldPhone.GetProperty("why").GetString(), "blocking paused until");
        Assert.AreEqual(HttpStatusCode.OK, resumed.StatusCode);
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", blocked.Answers.Single());
        Assert.AreEqual(HttpStatusCode.NotFound, unknownDevice.StatusCode);
        Assert.AreEqual(HttpStatusCode.BadRequest, badMinutes.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, all.StatusCode);
        Assert.IsTrue(daemon.Get<MiSinkhole.Core.Devices.BlockingPause>().IsPaused("new-phone"));
    }

    [TestMethod]
    public async Task Readyz_Is503_WhenTheDnsListenersAreDown()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data);
        using var http = new HttpClient { BaseAddress = daemon.HttpAddress };

        HttpResponseMessage ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        await daemon.Server.StopAsync(CancellationToken.None);
        HttpResponseMessage stopped = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        HttpResponseMessage alive = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode);
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
        StringAssert.Contains(await stopped.Content.ReadAsStringAsync(), "DNS listeners not bound");
        Assert.AreEqual(HttpStatusCode.OK, alive.StatusCode);
    }
}
