using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// The API's changes to the config over real HTTP and DNS: a policy switch and a named client are
/// written to the user's file (their comment stays), checked like a file edit and in force at
/// once; a refused change writes nothing and says why; a review decision is in force when it
/// answers; a pause until a time; the lists and upstreams at a glance.
/// </summary>
[TestClass]
public sealed class SettingsApiTests
{
    private static async Task<string> AnswerAsync(RunningDaemon daemon, string name = "tracking.miui.com", string from = "127.0.0.2") =>
        (await Dig.RunAsync(daemon.EndPoint, "-b", from, "+short", name, "A")).Output.Trim();

    [TestMethod]
    public async Task SwitchingADevicesPolicy_WritesTheFile_AndItsNextQueryIsBlocked()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        using HttpClient http = daemon.ApiClient();
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon), "observe: only logged");

        HttpResponseMessage switched = await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "strict" });

        Assert.AreEqual(HttpStatusCode.OK, switched.StatusCode, await switched.Content.ReadAsStringAsync());
        JsonElement body = await switched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.IsTrue(body.GetProperty("applied").GetBoolean());
        StringAssert.Contains(body.GetProperty("changes")[0].GetString(), "Devices");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon), "strict at once: blocked");
        StringAssert.Contains(household.Text, HouseholdConfig.Comment, "the user's comment stays");
        StringAssert.Contains(household.Text, "\"Policy\": \"strict\"");
        Assert.AreEqual("strict", daemon.Get<ActiveConfig>().Current.Devices.Find(HouseholdConfig.Tv)!.Policy.Name);
        Assert.IsFalse(File.Exists(Path.Combine(household.Directory.Path, ".misinkhole.json.new")), "nothing left beside the file");
    }

    [TestMethod]
    public async Task ARefusedChange_SaysWhy_AndWritesNothing()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        using HttpClient http = daemon.ApiClient();
        string before = household.Text;

        HttpResponseMessage unknown = await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "paranoid" });
        Assert.AreEqual(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        JsonElement problem = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        string error = problem.GetProperty("errors")[0].GetString()!;
        StringAssert.Contains(error, household.File + ":", "names the file");
        StringAssert.Contains(error, "paranoid");
        Assert.AreEqual(before, household.Text, "nothing written");
        Assert.AreEqual("observe", daemon.Get<ActiveConfig>().Current.Devices.Find(HouseholdConfig.Tv)!.Policy.Name);

        Assert.AreEqual(HttpStatusCode.NotFound, (await http.PutAsJsonAsync("/api/devices/no-such-device/policy", new { policy = "strict" })).StatusCode);
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "" })).StatusCode);
        HttpResponseMessage twice = await http.PostAsJsonAsync("/api/devices", new { name = HouseholdConfig.Tv, match = new[] { "127.0.0.9" } });
        Assert.AreEqual(HttpStatusCode.Conflict, twice.StatusCode);
        HttpResponseMessage clash = await http.PostAsJsonAsync("/api/devices", new { name = "second-tv", match = new[] { "127.0.0.2" } });
        Assert.AreEqual(HttpStatusCode.UnprocessableEntity, clash.StatusCode, "two devices with one address: the reader's own error");
        StringAssert.Contains(await clash.Content.ReadAsStringAsync(), "127.0.0.2");
        Assert.AreEqual(before, household.Text);
    }

    [TestMethod]
    public async Task AKeyTheCommandLineOverrides_IsRefused_AndTheEmbeddedConfigHasNoFileToWrite()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using (RunningDaemon daemon = await household.StartAsync($"--Devices:{HouseholdConfig.Tv}:Policy=max"))
        {
            using HttpClient http = daemon.ApiClient();
            string before = household.Text;
            HttpResponseMessage overridden = await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "strict" });
            Assert.AreEqual(HttpStatusCode.Conflict, overridden.StatusCode);
            StringAssert.Contains(await overridden.Content.ReadAsStringAsync(), "command line");
            Assert.AreEqual(before, household.Text);
            HttpResponseMessage same = await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "observe" });
            Assert.AreEqual(HttpStatusCode.Conflict, same.StatusCode, "what the file says already, but the command line overrides it: not in force, so refused too");
        }

        await using RunningDaemon noFile = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Device("tv", null, "127.0.0.2").Values);
        using HttpClient api = noFile.ApiClient();
        HttpResponseMessage refused = await api.PutAsJsonAsync("/api/devices/tv/policy", new { policy = "strict" });
        Assert.AreEqual(HttpStatusCode.Conflict, refused.StatusCode);
        StringAssert.Contains(await refused.Content.ReadAsStringAsync(), "--config");
    }

    [TestMethod]
    public async Task NamingAClient_AddsADevice_WithItsPolicy()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        using HttpClient http = daemon.ApiClient();
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon, from: "127.0.0.7"), "unknown: the default, strict");

        HttpResponseMessage named = await http.PostAsJsonAsync("/api/devices", new { name = "kids-tablet", match = new[] { "127.0.0.7" }, policy = "observe" });

        Assert.AreEqual(HttpStatusCode.Created, named.StatusCode, await named.Content.ReadAsStringAsync());
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon, from: "127.0.0.7"), "its own policy now: observe");
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>("/api/devices");
        Assert.IsTrue(devices.GetProperty("configured").EnumerateArray().Any(d => d.GetProperty("name").GetString() == "kids-tablet" && d.GetProperty("policy").GetString() == "observe"));
        StringAssert.Contains(household.Text, HouseholdConfig.Comment);
        StringAssert.Contains(household.Text, "\"kids-tablet\": { \"Match\": [ \"127.0.0.7\" ], \"Policy\": \"observe\" }");
    }

    [TestMethod]
    public async Task NamingAClient_NeverReplacesAnEntryWrittenByHand_AndTheByteOrderMarkStays()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        using HttpClient http = daemon.ApiClient();
        var refused = new TaskCompletionSource<MiSinkhole.Hosting.ConfigReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        daemon.Get<MiSinkhole.Hosting.ConfigWatcher>().Reloaded += result => refused.TrySetResult(result);
        // By hand, with a typo: the running config refuses it, so the client is still unknown.
        string typo = household.Text.Replace("\"Devices\": {", "\"Devices\": {\n    \"tablet\": { \"Match\": [ \"127.0.0.7\" ], \"Policy\": \"strct\" }, // mine", StringComparison.Ordinal);
        File.WriteAllText(household.File, "\uFEFF" + typo, new System.Text.UTF8Encoding(false));
        Assert.IsFalse((await refused.Task.WaitAsync(TimeSpan.FromSeconds(20))).Applied);

        HttpResponseMessage named = await http.PostAsJsonAsync("/api/devices", new { name = "tablet", match = new[] { "127.0.0.7" } });

        Assert.AreEqual(HttpStatusCode.Conflict, named.StatusCode);
        StringAssert.Contains(await named.Content.ReadAsStringAsync(), "Devices:tablet already");
        StringAssert.Contains(household.Text, "\"strct\" }, // mine", "the hand-written entry stays");

        File.WriteAllText(household.File, "\uFEFF" + typo.Replace("strct", "strict", StringComparison.Ordinal), new System.Text.UTF8Encoding(false));
        HttpResponseMessage switched = await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "max" });
        Assert.AreEqual(HttpStatusCode.OK, switched.StatusCode, await switched.Content.ReadAsStringAsync());
        byte[] bytes = File.ReadAllBytes(household.File);
        CollectionAssert.AreEqual(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3], "the byte-order mark stays");
        Assert.AreEqual("tablet", daemon.Get<ActiveConfig>().Current.Devices.Find("tablet")!.Name, "the fixed hand edit is in force too");
    }

    [TestMethod]
    public async Task AReviewDecision_IsInForceWhenItAnswers()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        using HttpClient http = daemon.ApiClient();
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon, "stats.new.xiaomi.com", "127.0.0.7"), "unclassified: answered");

        HttpResponseMessage decided = await http.PostAsJsonAsync("/api/review", new { name = "stats.new.xiaomi.com", decision = "telemetry" });

        Assert.AreEqual(HttpStatusCode.OK, decided.StatusCode, await decided.Content.ReadAsStringAsync());
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon, "stats.new.xiaomi.com", "127.0.0.7"), "blocked with no wait for the next list pass");
        StringAssert.Contains(File.ReadAllText(Path.Combine(household.Directory.Path, "rules/local/telemetry.txt")), "stats.new.xiaomi.com");
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/review", new { name = "x.xiaomi.com", decision = "maybe" })).StatusCode);
        Assert.AreEqual(HttpStatusCode.UnprocessableEntity, (await http.PostAsJsonAsync("/api/review", new { name = "x.xiaomi.com", decision = "ads" })).StatusCode, "no local-ads list in this config");
    }

    [TestMethod]
    public async Task PauseUntilATime_AndTheStatusAtAGlance()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync("--Devices:" + HouseholdConfig.Tv + ":Policy=strict");
        using HttpClient http = daemon.ApiClient();
        DateTimeOffset until = DateTimeOffset.UtcNow.AddHours(2);

        HttpResponseMessage paused = await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?until={Uri.EscapeDataString(until.ToString("O"))}", null);
        Assert.AreEqual(HttpStatusCode.OK, paused.StatusCode, await paused.Content.ReadAsStringAsync());
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon), "paused: answered");
        DateTimeOffset pausedUntil = (await paused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("until").GetDateTimeOffset();
        Assert.IsTrue(Math.Abs((pausedUntil - until).TotalSeconds) < 1, $"{pausedUntil:O} is the time asked for");
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?until=2020-01-01T00:00:00Z", null)).StatusCode, "a time past");
        Assert.AreEqual(HttpStatusCode.BadRequest, (await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?until=tomorrow", null)).StatusCode);

        JsonElement status = await http.GetFromJsonAsync<JsonElement>("/api/status");
        Assert.AreEqual(household.File, status.GetProperty("configFile").GetString());
        JsonElement telemetry = status.GetProperty("lists").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "xiaomi-telemetry");
        Assert.AreEqual(1, telemetry.GetProperty("rules").GetInt32());
        Assert.IsFalse(telemetry.GetProperty("downloads").GetBoolean());
        JsonElement server = status.GetProperty("upstreams").EnumerateArray().Single();
        Assert.AreEqual("plain", server.GetProperty("protocol").GetString());
        Assert.IsTrue(server.GetProperty("healthy").GetBoolean());
        CollectionAssert.AreEqual(new[] { "max", "observe", "strict" }, status.GetProperty("policies").EnumerateArray().Select(p => p.GetString()).ToArray());
    }
}
