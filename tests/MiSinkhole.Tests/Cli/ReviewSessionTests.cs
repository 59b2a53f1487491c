using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Cli;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Cli;

/// <summary>The interactive review: what it shows per name, and what each answer writes.</summary>
[TestClass]
public sealed class ReviewSessionTests
{
    private static readonly DateTimeOffset Seen = new(2026, 12, 2, 9, 30, 0, TimeSpan.Zero);

    private static UnclassifiedNameReport Name(string name, string? suggested, params string[] clients) =>
        new(name, "xiaomi.com", "xiaomi-zones", suggested, clients.Length, Seen, Seen, [.. clients.Select(c => new UnclassifiedSighting(c, c, 1, Seen, Seen))]);

    private static ConfigSnapshot Snapshot(TempDirectory dir)
    {
        dir.Write("zones.txt", "xiaomi.com\n");
        TestConfig config = new TestConfig().List("xiaomi-zones", "zones.txt").Set("Discovery:Zones:0", "xiaomi-zones").Policy("strict");
        foreach (ReviewDecision decision in ReviewDecision.All)
        {
            config.List(decision.List, "local/" + LocalDecisions.FileName(decision)).Set($"Lists:{decision.List}:Optional", "true");
        }

        return ActiveConfig.Compile(config.Read(dir.Path)).Snapshot;
    }

    [TestMethod]
    public void EachAnswer_WritesItsDecision_AnEmptyOneSkips_AndQuitStops()
    {
        using var dir = new TempDirectory();
        var report = new UnclassifiedReport([
            Name("stat.a.xiaomi.com", "telemetry", "phone", "192.168.1.40"),
            Name("b.xiaomi.com", null, "phone"),
            Name("c.xiaomi.com", null, "tv"),
            Name("d.xiaomi.com", null, "tv"),
        ]);
        var output = new StringWriter();
        var time = new FakeTimeProvider(Seen);
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var session = new ReviewSession(new StringReader("what\nt\n\ni\nquit\n"), output, Snapshot(dir), time);

        int written = session.Run(report);
        string text = output.ToString();

        Assert.AreEqual(2, written);
        StringAssert.Contains(text, "[1/4] stat.a.xiaomi.com  (zone xiaomi.com)");
        StringAssert.Contains(text, "2 queries, last 2026-12-02 09:30:00 +00:00, by phone (1), 192.168.1.40 (1)");
        StringAssert.Contains(text, "suggested: telemetry");
        StringAssert.Contains(text, "suggested: none");
        StringAssert.Contains(text, "'what' is none of these");
        StringAssert.EndsWith(text, "[q]uit > 2 decision(s) written.\n".ReplaceLineEndings());
        string[] telemetry = File.ReadAllLines(Path.Combine(dir.Path, "local", "telemetry.txt"));
        CollectionAssert.AreEqual(new[] { "# 2026-12-02: misinkhole review: telemetry (suggested telemetry; 2 queries by phone, 192.168.1.40)", "stat.a.xiaomi.com" }, telemetry[^2..]);
        Assert.AreEqual("c.xiaomi.com", File.ReadAllLines(Path.Combine(dir.Path, "local", "known.txt"))[^1], "b was skipped, c ignored (known)");
        Assert.AreEqual(2, Directory.GetFiles(Path.Combine(dir.Path, "local")).Length);
        Assert.IsFalse(Directory.GetFiles(Path.Combine(dir.Path, "local")).SelectMany(File.ReadAllLines).Contains("d.xiaomi.com"), "quit at d: nothing written for it");
    }

    [TestMethod]
    public void EndOfInput_Stops_WritingNothing()
    {
        using var dir = new TempDirectory();
        var session = new ReviewSession(new StringReader(""), new StringWriter(), Snapshot(dir), new FakeTimeProvider(Seen));

        Assert.AreEqual(0, session.Run(new UnclassifiedReport([Name("a.xiaomi.com", null, "phone")])));
        Assert.IsFalse(Directory.Exists(Path.Combine(dir.Path, "local")));
    }
}
