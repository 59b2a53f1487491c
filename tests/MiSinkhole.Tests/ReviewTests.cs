using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// <c>misinkhole review</c> against a running daemon with the shipped config (a copy: nothing is
/// written into the source tree): its decisions land in rules/local/, the daemon picks them up
/// without a restart, and a missing local file is no error.
/// </summary>
[TestClass]
public sealed partial class ReviewTests
{
    private const string NewName = "misinkhole-review-test.xiaomi.com";

    /// <summary>config/misinkhole.json and config/rules/ (but any local decisions) copied to a temp folder.</summary>
    private static string CopyShippedConfig(TempDirectory dir)
    {
        string rules = RepositoryPaths.File("config", "rules");
        foreach (string file in Directory.GetFiles(rules, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(rules, file);
            if (!relative.StartsWith("local" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                dir.Write(Path.Combine("rules", relative), File.ReadAllText(file));
            }
        }

        return dir.Write("misinkhole.json", File.ReadAllText(RepositoryPaths.File("config", "misinkhole.json")));
    }

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string config) =>
        RunningDaemon.StartFromFileAsync(config, "--Dns:Listen:0=127.0.0.1:0", "--Dns:Listen:1=127.0.0.1:0",
            $"--Upstreams:Servers:0={upstream.Address}", $"--Upstreams:Servers:1={upstream.Address}");

    private static async Task<JsonElement> UnclassifiedAsync(RunningDaemon daemon)
    {
        using HttpClient http = daemon.ApiClient();
        return (await http.GetFromJsonAsync<JsonElement>("/api/unclassified")).GetProperty("names");
    }

    /// <summary>Polls until <paramref name="done"/> holds (the list watcher looks every few seconds).</summary>
    private static async Task WaitForAsync(Func<Task<bool>> done, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await done())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new AssertFailedException("timed out waiting until " + what);
            }

            await Task.Delay(100);
        }
    }

    [TestMethod]
    public async Task AsTelemetry_AppendsToTheLocalFile_AndTheRunningDaemonThenBlocksIt_AndNoLongerListsIt()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        string config = CopyShippedConfig(dir);
        await using RunningDaemon daemon = await StartAsync(upstream, config);

        DigResult before = await Dig.RunAsync(daemon.EndPoint, NewName, "A");
        JsonElement listed = await UnclassifiedAsync(daemon);
        (int exit, string output) = await DaemonProcess.RunAsync("review", NewName, "--as", "telemetry", "--config", config);
        string local = Path.Combine(dir.Path, "rules", "local", "telemetry.txt");
        await WaitForAsync(async () => (await Dig.RunAsync(daemon.EndPoint, NewName, "A")).Answers.SingleOrDefault() == $"{NewName}. 60 IN A 0.0.0.0", "the decision is applied");
        JsonElement after = await UnclassifiedAsync(daemon);

        Assert.AreEqual($"{NewName}. 300 IN A 192.0.2.1", before.Answers.Single(), "unclassified: answered as usual");
        Assert.AreEqual(NewName, listed.EnumerateArray().Single().GetProperty("name").GetString());
        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, $"{NewName} → local-telemetry ({local})");
        string[] lines = File.ReadAllLines(local);
        Assert.AreEqual(NewName, lines[^1]);
        StringAssert.Matches(lines[^2], DatedComment());
        Assert.AreEqual(0, after.GetArrayLength(), "decided now: no longer unclassified");
    }

    [TestMethod]
    public async Task AsIgnore_ClassifiesTheName_WithoutBlockingIt()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        string config = CopyShippedConfig(dir);
        await using RunningDaemon daemon = await StartAsync(upstream, config);
        await Dig.RunAsync(daemon.EndPoint, NewName, "A");

        (int exit, string output) = await DaemonProcess.RunAsync("review", NewName, "--as", "ignore", "--config", config);
        await WaitForAsync(async () => (await UnclassifiedAsync(daemon)).GetArrayLength() == 0, "the name is classified");
        DigResult answer = await Dig.RunAsync(daemon.EndPoint, NewName, "A");
        (int explainExit, string explain) = await DaemonProcess.RunAsync("explain", NewName, "--config", config);

        Assert.AreEqual(0, exit, output);
        Assert.AreEqual(NewName, File.ReadAllLines(Path.Combine(dir.Path, "rules", "local", "known.txt"))[^1]);
        StringAssert.Matches(answer.Answers.Single(), new Regex($@"^{Regex.Escape(NewName)}\. \d+ IN A 192\.0\.2\.1$"), "known and benign: not blocked");
        Assert.AreEqual(0, explainExit, explain);
        StringAssert.Contains(explain, "local-known: ");
        Assert.DoesNotContain("unclassified", explain);
    }

    [TestMethod]
    public async Task List_PrintsWhatTheRunningDaemonSaw_PerClient()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        string config = CopyShippedConfig(dir);
        await using RunningDaemon daemon = await StartAsync(upstream, config);
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "crash.new.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "other.new.mi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "other.new.mi.com", "A");
        string http = "--Http:Listen=" + daemon.HttpAddress.Authority;
        string data = "--DataDirectory=" + daemon.Directory.Path; // the daemon's, where its API token is (as under systemd)

        (int exit, string all) = await DaemonProcess.RunAsync("review", "--list", "--config", config, http, data);
        (int oneExit, string one) = await DaemonProcess.RunAsync("review", "--list", "--device", "127.0.0.3", "--config", config, http, data);
        (int noToken, string noTokenOutput) = await DaemonProcess.RunAsync("review", "--list", "--config", config, http);
        (_, string explain) = await DaemonProcess.RunAsync("explain", "other.new.mi.com", "--config", config);

        Assert.AreEqual(0, exit, all);
        StringAssert.Matches(all, ListedRow("crash.new.xiaomi.com", "crash", 1, "127.0.0.2"));
        StringAssert.Matches(all, ListedRow("other.new.mi.com", "-", 2, "127.0.0.3"));
        Assert.AreEqual(0, oneExit, one);
        Assert.DoesNotContain("crash.new.xiaomi.com", one, "only that client's names");
        StringAssert.Contains(one, "other.new.mi.com");
        Assert.AreEqual(1, noToken, "the config's own DataDirectory is not the daemon's: no token file there");
        StringAssert.Contains(noTokenOutput, "cannot ask the daemon for its unclassified names: Http:ApiToken is not set, and there is no API token file at");
        StringAssert.Contains(explain, "unclassified Xiaomi name: under a zone of 'xiaomi-zones'");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir.Path, "rules", "local")), "listing writes nothing; and no local file is needed to start");
    }

    [TestMethod]
    public async Task WithoutADecision_OrWithoutTheDaemon_ItSaysWhatIsMissing()
    {
        using var dir = new TempDirectory();
        string config = CopyShippedConfig(dir);

        (int noAs, string noAsOutput) = await DaemonProcess.RunAsync("review", NewName, "--config", config);
        (int badAs, string badAsOutput) = await DaemonProcess.RunAsync("review", NewName, "--as", "evil", "--config", config);
        dir.Write(Path.Combine("data", "api-token"), "a-token-of-a-daemon-not-running\n");
        (int noDaemon, string noDaemonOutput) = await DaemonProcess.RunAsync("review", "--list", "--config", config, $"--Http:Listen=127.0.0.1:{DaemonProcess.FreePort()}");
        (int typo, string typoOutput) = await DaemonProcess.RunAsync("review", "--lsit", "--config", config);

        Assert.AreEqual(1, noAs);
        StringAssert.Contains(noAsOutput, "Add --as telemetry, ads, crash, essential or ignore");
        Assert.AreEqual(1, badAs);
        StringAssert.Contains(badAsOutput, "--as evil: not telemetry");
        Assert.AreEqual(1, noDaemon);
        StringAssert.Contains(noDaemonOutput, "is the daemon running with this config?");
        Assert.AreEqual(1, typo);
        StringAssert.Contains(typoOutput, "--lsit: not an option of review");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir.Path, "rules", "local")));
    }

    private static Regex ListedRow(string name, string suggested, int count, string client) =>
        new($@"(?m)^{Regex.Escape(name)} +{Regex.Escape(suggested)} +{count} +\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d +{Regex.Escape(client)} \({count}\)$");

    [GeneratedRegex(@"^# \d{4}-\d\d-\d\d: misinkhole review: telemetry \(by hand\)$")]
    private static partial Regex DatedComment();
}
