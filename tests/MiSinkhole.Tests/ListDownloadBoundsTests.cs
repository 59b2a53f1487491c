using System.Net;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Lists;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// URL lists through the running daemon and a real HTTP server: the whole download has a
/// deadline (not only its headers), overlong lines are dropped before they are parsed, and plain
/// http:// needs the list's own opt-in.
/// </summary>
[TestClass]
public sealed class ListDownloadBoundsTests
{
    [TestMethod]
    public async Task ABodyThatStalls_FailsAtTheDownloadTimeout_AndTheLastGoodCopyStays()
    {
        using var list = new FakeListServer { Body = "slow.example\n" + new string('#', 4000) + "\n", StallBody = true };
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .HttpList("slow", list.Url).Set("Lists:DownloadTimeout", "1s").Values);
        var refresh = daemon.Get<ListRefreshService>();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(45)); // before HttpClient's own 60 s, which ends at the headers anyway
        while (refresh.FailuresByList.GetValueOrDefault("slow") == 0)
        {
            await Task.Delay(20, deadline.Token); // poll: the headers came at once, the body never ends
        }

        Assert.IsEmpty(Directory.GetFiles(Path.Combine(daemon.Directory.Path, "data", "lists"), "*.download"), "no partial download is left");
        Assert.AreEqual(1, refresh.FailedDownloads);
    }

    [TestMethod]
    public async Task LinesLongerThanMaxLineLength_AreDropped_TheRestOfTheListApplies()
    {
        string longLine = "0.0.0.0 " + string.Join(' ', Enumerable.Range(0, 100).Select(i => $"long{i}.example")); // about 1,400 bytes of hosts line
        using var list = new FakeListServer { Body = $"short.example\n{longLine}\nother.example" };
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .HttpList("remote", list.Url).Set("Lists:MaxLineLength", "256").Values);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await Blocked(daemon, "short.example"))
        {
            await Task.Delay(20, deadline.Token); // poll: downloaded, compiled and swapped in; lines within the cap apply
        }

        Assert.IsTrue(await Blocked(daemon, "other.example"), "a last line without a newline too");
        Assert.IsFalse(await Blocked(daemon, "long0.example"), "the long line was dropped before it was parsed");
        Assert.IsFalse(await Blocked(daemon, "long99.example"));
    }

    [TestMethod]
    public void PlainHttp_NeedsTheListsOwnOptIn()
    {
        using var dir = new TempDirectory();
        (_, IReadOnlyList<ConfigError> without) = new TestConfig().List("remote", "http://lists.example/hosts.txt").ReadWithProblems(dir.Path);
        (SinkholeOptions with, IReadOnlyList<ConfigError> allowed) = new TestConfig().List("remote", "http://lists.example/hosts.txt")
            .Set("Lists:remote:AllowHttp", "true").List("safe", "https://lists.example/hosts.txt").ReadWithProblems(dir.Path);

        ConfigError error = without.Single();
        Assert.AreEqual("Lists:remote:Sources:0", error.Key);
        StringAssert.Contains(error.Message, "AllowHttp");
        Assert.IsEmpty(allowed, "https:// needs nothing, http:// with AllowHttp is accepted");
        Assert.HasCount(1, with.Lists.Single(l => l.Name == "remote").Subscriptions);
    }

    [TestMethod]
    public void DownloadSettings_AreReadBesideTheLists_AndChecked()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "a.example\n");
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig().List("a", "a.txt")
            .Set("Lists:DownloadTimeout", "90s").Set("Lists:MaxLineLength", "1024").ReadWithProblems(dir.Path);
        (_, IReadOnlyList<ConfigError> bad) = new TestConfig().List("a", "a.txt")
            .Set("Lists:DownloadTimeout", "10ms").Set("Lists:MaxLineLength", "10").ReadWithProblems(dir.Path);

        Assert.IsEmpty(problems);
        Assert.AreEqual(TimeSpan.FromSeconds(90), options.ListDownloads.DownloadTimeout);
        Assert.AreEqual(1024, options.ListDownloads.MaxLineLength);
        Assert.AreEqual("a", options.Lists.Single().Name, "settings are no lists");
        CollectionAssert.AreEquivalent(new[] { "Lists:DownloadTimeout", "Lists:MaxLineLength" }, bad.Select(p => p.Key).ToArray());
    }

    private static async Task<bool> Blocked(RunningDaemon daemon, string name)
    {
        byte[] answer = (await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query(name, 1)))!;
        return Wire.Parse(answer).AnswerRecords.OfType<ARSoft.Tools.Net.Dns.ARecord>().Any(a => a.Address.Equals(IPAddress.Any));
    }
}
