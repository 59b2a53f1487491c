using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.State;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Two daemons, each on its own config file, sharing their state in a real PostgreSQL: a pause,
/// a policy switch, a named client and a review decision made on one are in force on the other
/// (written to its own file and rules); a change made while the database is away is shared once it
/// is back. The time each took to arrive is written to the test output (NOTIFY; the re-read every
/// 10 s is the safety net).
/// </summary>
[TestClass]
public sealed class SharedStateTests
{
    public TestContext TestContext { get; set; } = null!;

    private async Task ArrivesAsync(Func<bool> inForce, string what)
    {
        var clock = Stopwatch.StartNew();
        await Poll.UntilAsync(inForce, what);
        TestContext.WriteLine($"{what}: in force on the other instance after {clock.ElapsedMilliseconds} ms");
    }

    private static async Task<string> AnswerAsync(RunningDaemon daemon, string from, string name = "tracking.miui.com") =>
        (await Dig.RunAsync(daemon.EndPoint, "-b", from, "+short", name, "A")).Output.Trim();

    [TestMethod]
    public async Task APauseASwitchANameAndAReview_MadeOnOne_AreInForceOnTheOther()
    {
        await using TwoInstances two = await TwoInstances.StartAsync();
        (RunningDaemon pi, RunningDaemon nas) = (two.Pi, two.Nas);
        using HttpClient http = pi.ApiClient();

        Assert.AreEqual(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/api/devices/{HouseholdConfig.Tv}/policy", new { policy = "strict" })).StatusCode);
        await ArrivesAsync(() => nas.Get<ActiveConfig>().Current.Devices.Find(HouseholdConfig.Tv)!.Policy.Name == "strict", "a policy switch");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(nas, "127.0.0.2"), "strict on the other: blocked");
        StringAssert.Contains(two.NasConfig.Text, "\"Policy\": \"strict\"", "written to the other's own file");
        StringAssert.Contains(two.NasConfig.Text, HouseholdConfig.Comment);

        Assert.AreEqual(HttpStatusCode.OK, (await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?minutes=30", null)).StatusCode);
        await ArrivesAsync(() => nas.Get<BlockingPause>().IsPaused(HouseholdConfig.Tv), "a pause");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(nas, "127.0.0.2"), "paused on the other: answered");
        TimeSpan difference = pi.Get<BlockingPause>().Active[HouseholdConfig.Tv] - nas.Get<BlockingPause>().Active[HouseholdConfig.Tv];
        Assert.IsTrue(Math.Abs(difference.TotalSeconds) < 1, $"until the same time ({difference})");
        Assert.AreEqual(HttpStatusCode.OK, (await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?minutes=0", null)).StatusCode);
        await ArrivesAsync(() => !nas.Get<BlockingPause>().IsPaused(HouseholdConfig.Tv), "a resume");

        Assert.AreEqual(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices", new { name = "kids-tablet", match = new[] { "127.0.0.7" }, policy = "observe" })).StatusCode);
        await ArrivesAsync(() => nas.Get<ActiveConfig>().Current.Devices.Find("kids-tablet") is not null, "a named client");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(nas, "127.0.0.7"), "its policy on the other: observe");

        Assert.AreEqual(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/review", new { name = "stats.new.xiaomi.com", decision = "telemetry" })).StatusCode);
        await ArrivesAsync(() => !nas.Get<ActiveConfig>().Current.IsUnclassified("stats.new.xiaomi.com"), "a review decision");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(nas, "127.0.0.2", "stats.new.xiaomi.com"), "filed on the other: blocked for the (strict) TV");

        SharedState shared = nas.Get<SharedState>();
        string positionFile = Path.Combine(nas.Directory.Path, "state-position");
        await Poll.UntilAsync(() => pi.Get<SharedState>().Position == shared.Position && File.Exists(positionFile)
            && File.ReadAllText(positionFile).Trim() == shared.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), "both read to the same change, and nas keeps it for a restart");
    }

    [TestMethod]
    public async Task TheInventory_MergesWhatEitherInstanceSawOfAClient()
    {
        await using TwoInstances two = await TwoInstances.StartAsync();
        (RunningDaemon pi, RunningDaemon nas) = (two.Pi, two.Nas);
        await AnswerAsync(pi, "127.0.0.7");
        await AnswerAsync(pi, "127.0.0.7", "stats.new.xiaomi.com"); // unclassified, seen by pi only
        await AnswerAsync(nas, "127.0.0.7");

        Assert.AreEqual(1, pi.Get<SharedInventory>().PushNow());
        Assert.AreEqual(1, nas.Get<SharedInventory>().PushNow());

        using HttpClient http = nas.ApiClient();
        System.Text.Json.JsonElement devices = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/devices");
        System.Text.Json.JsonElement client = devices.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("key").GetString() == "127.0.0.7");
        Assert.AreEqual(3, client.GetProperty("queries").GetInt64(), "2 on pi, 1 on nas");
        CollectionAssert.AreEqual(new[] { "nas", "pi" }, client.GetProperty("instances").EnumerateArray().Select(i => i.GetString()).ToArray());
        Assert.AreEqual(2, client.GetProperty("categories").GetProperty("xiaomi-telemetry").GetProperty("blocked").GetInt64(), "blocked twice, once on each");
        System.Text.Json.JsonElement review = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/unclassified");
        Assert.AreEqual("stats.new.xiaomi.com", review.GetProperty("names").EnumerateArray().Single().GetProperty("name").GetString(), "what pi discovered is to review on nas too");
    }

    [TestMethod]
    public async Task AClientFlaggedAsXiaomiOnOne_GetsTheAutoPolicyOnTheOther()
    {
        await using TwoInstances two = await TwoInstances.StartAsync("--Devices:AutoPolicy=observe");
        (RunningDaemon pi, RunningDaemon nas) = (two.Pi, two.Nas);
        Assert.AreEqual(0, nas.Get<MiSinkhole.Core.Clients.XiaomiClients>().FlaggedAddresses);

        Assert.AreEqual("0.0.0.0", await AnswerAsync(pi, "127.0.0.9"), "its telemetry on pi, strict (the default): blocked, and the evidence");

        await ArrivesAsync(() => nas.Get<MiSinkhole.Core.Clients.XiaomiClients>().FlaggedAddresses == 1, "a Xiaomi flag");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(nas, "127.0.0.9"), "its first query on nas already gets Devices:AutoPolicy (observe)");
    }

    [TestMethod]
    public async Task AChangeMadeWhileTheDatabaseIsAway_IsSharedWhenItIsBack()
    {
        await using TwoInstances two = await TwoInstances.StartAsync();
        (RunningDaemon pi, RunningDaemon nas) = (two.Pi, two.Nas);
        SharedState shared = pi.Get<SharedState>();
        shared.SyncNow(); // throws unless connected
        nas.Get<SharedState>().SyncNow();

        await two.Postgres.StopAsync();
        using HttpClient http = pi.ApiClient();
        using HttpClient other = nas.ApiClient();
        Assert.AreEqual(HttpStatusCode.OK, (await http.PostAsync($"/api/devices/{HouseholdConfig.Tv}/pause?minutes=30", null)).StatusCode, "a change is made here while the database is away");
        Assert.IsTrue(pi.Get<BlockingPause>().IsPaused(HouseholdConfig.Tv), "and in force here at once");
        await Poll.UntilAsync(() => !shared.Reachable, "the database is seen away");
        Assert.AreEqual(1, shared.Pending, "the change waits");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(pi, "127.0.0.2"), "DNS answers as ever");
        // Meanwhile on the other, a pause for everyone then its end: made later, so in force on both in the end.
        Assert.AreEqual(HttpStatusCode.OK, (await other.PostAsync("/api/pause?minutes=10", null)).StatusCode);
        await Poll.UntilAsync(() => !nas.Get<SharedState>().Reachable, "the other sees it away too");

        await two.Postgres.StartAsync();
        await Poll.UntilAsync(() => nas.Get<BlockingPause>().IsPaused(HouseholdConfig.Tv), "written when it is back, and applied on the other", TimeSpan.FromSeconds(90));
        await Poll.UntilAsync(() => pi.Get<BlockingPause>().Active.ContainsKey(BlockingPause.Everyone), "the other's change arrives here too", TimeSpan.FromSeconds(90));
        await Poll.UntilAsync(() => shared.Pending == 0 && nas.Get<SharedState>().Pending == 0 && shared.Position == nas.Get<SharedState>().Position, "both at the same change", TimeSpan.FromSeconds(90));
        CollectionAssert.AreEquivalent(pi.Get<BlockingPause>().Active.Keys.ToArray(), nas.Get<BlockingPause>().Active.Keys.ToArray(), "the two agree");
    }
}
