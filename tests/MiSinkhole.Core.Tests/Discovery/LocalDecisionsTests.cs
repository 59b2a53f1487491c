using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Rules;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Discovery;

/// <summary>How a review decision lands in the local list files, and that the daemon then reads them as decided.</summary>
[TestClass]
public sealed class LocalDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static SinkholeOptions Options(TempDirectory dir)
    {
        dir.Write("rules/xiaomi/zones.txt", "xiaomi.com\nmi.com\n");
        dir.Write("rules/xiaomi/telemetry.txt", "tracking.miui.com\n");
        TestConfig config = new TestConfig()
            .List("xiaomi-telemetry", "rules/xiaomi/telemetry.txt")
            .List("xiaomi-zones", "rules/xiaomi/zones.txt")
            .Set("Discovery:Zones:0", "xiaomi-zones")
            .Policy("strict", block: ["xiaomi-telemetry", "local-telemetry"], allow: ["local-allow"]);
        foreach (ReviewDecision decision in ReviewDecision.All)
        {
            config.List(decision.List, "rules/local/" + LocalDecisions.FileName(decision)).Set($"Lists:{decision.List}:Optional", "true");
        }

        return config.Read(dir.Path);
    }

    [TestMethod]
    public void Apply_AppendsTheNameUnderADatedComment_ToTheDecisionsFile_WhichThenDecidesIt()
    {
        using var dir = new TempDirectory();
        SinkholeOptions options = Options(dir);
        ConfigSnapshot before = ActiveConfig.Compile(options).Snapshot;

        ReviewOutcome first = LocalDecisions.Apply(before, "New.Stat.Xiaomi.com.", ReviewDecision.Telemetry, "suggested telemetry; 3 queries by phone", Now);
        ReviewOutcome second = LocalDecisions.Apply(before, "other.xiaomi.com", ReviewDecision.Telemetry, null, Now);
        ReviewOutcome again = LocalDecisions.Apply(before, "new.stat.xiaomi.com", ReviewDecision.Telemetry, null, Now);
        (ConfigSnapshot after, List<RuleListError> errors) = ActiveConfig.Compile(options);
        string file = Path.Combine(dir.Path, "rules", "local", "telemetry.txt");
        string[] lines = File.ReadAllLines(file);

        Assert.IsTrue(before.IsUnclassified("new.stat.xiaomi.com"));
        Assert.AreEqual((true, file, "new.stat.xiaomi.com"), (first.Appended, first.File, first.Rule));
        Assert.IsTrue(second.Appended);
        Assert.IsFalse(again.Appended, again.Message);
        StringAssert.Contains(again.Message, "already in");
        StringAssert.StartsWith(lines[0], "# Local decisions of misinkhole review: telemetry");
        CollectionAssert.AreEqual(
            new[] { "", "# 2026-12-02: misinkhole review: telemetry (suggested telemetry; 3 queries by phone)", "new.stat.xiaomi.com", "", "# 2026-12-02: misinkhole review: telemetry", "other.xiaomi.com" },
            lines[3..]);
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.IsFalse(after.IsUnclassified("new.stat.xiaomi.com"));
        Assert.AreEqual(MiSinkhole.Core.Pipeline.PolicyAction.Blocked, after.Policies["strict"].Decide(after.Rules.Match("new.stat.xiaomi.com")).Action);
        if (!OperatingSystem.IsWindows())
        {
            Assert.AreEqual((UnixFileMode)0b110_100_100, File.GetUnixFileMode(file), "readable by the daemon's user, whoever reviews");
        }
    }

    [TestMethod]
    public void AZonesOwnName_IsWrittenExact_SoNoDecisionCoversAWholeZone()
    {
        using var dir = new TempDirectory();
        SinkholeOptions options = Options(dir);

        ReviewOutcome outcome = LocalDecisions.Apply(ActiveConfig.Compile(options).Snapshot, "mi.com", ReviewDecision.Ignore, null, Now);
        ConfigSnapshot after = ActiveConfig.Compile(options).Snapshot;

        Assert.AreEqual("|mi.com^", outcome.Rule);
        Assert.AreEqual(Path.Combine(dir.Path, "rules", "local", "known.txt"), outcome.File);
        Assert.IsFalse(after.IsUnclassified("mi.com"));
        Assert.IsTrue(after.IsUnclassified("api.io.mi.com"), "the rest of the zone is still to review");
    }

    [TestMethod]
    public void ANameAlreadyDecided_IsStillWritten_WithANote()
    {
        using var dir = new TempDirectory();
        SinkholeOptions options = Options(dir);

        ReviewOutcome outcome = LocalDecisions.Apply(ActiveConfig.Compile(options).Snapshot, "x.tracking.miui.com", ReviewDecision.Essential, null, Now);

        Assert.IsTrue(outcome.Appended);
        StringAssert.Contains(outcome.Message, "note: already decided by xiaomi-telemetry");
        StringAssert.Contains(outcome.Message, "note: not under any zone of Discovery:Zones");
        Assert.AreEqual(Path.Combine(dir.Path, "rules", "local", "allow.txt"), outcome.File);
    }

    [TestMethod]
    public void ABadName_OrAConfigWithoutTheLocalList_IsRefused_SayingWhatToAdd()
    {
        using var dir = new TempDirectory();
        dir.Write("zones.txt", "xiaomi.com\n");
        ConfigSnapshot bare = ActiveConfig.Compile(new TestConfig().List("xiaomi-zones", "zones.txt").Set("Discovery:Zones:0", "xiaomi-zones").Read(dir.Path)).Snapshot;
        ConfigSnapshot full = ActiveConfig.Compile(Options(dir)).Snapshot;

        ArgumentException noList = Assert.ThrowsExactly<ArgumentException>(() => LocalDecisions.Apply(bare, "a.xiaomi.com", ReviewDecision.Ads, null, Now));
        Assert.ThrowsExactly<ArgumentException>(() => LocalDecisions.Apply(full, "bad!name.xiaomi.com", ReviewDecision.Ads, null, Now));

        StringAssert.Contains(noList.Message, "\"local-ads\": { \"Sources\": [ \"rules/local/ads.txt\" ], \"Optional\": true }");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir.Path, "rules", "local")), "nothing written");
    }

    [TestMethod]
    [DataRow("telemetry", "local-telemetry")]
    [DataRow("T", "local-telemetry")]
    [DataRow("ads", "local-ads")]
    [DataRow("c", "local-crash")]
    [DataRow("essential", "local-allow")]
    [DataRow("allow", "local-allow")]
    [DataRow("ignore", "local-known")]
    [DataRow("known", "local-known")]
    [DataRow("skip", null)]
    [DataRow("", null)]
    [DataRow("blocked", null)]
    public void Decisions_ByWordOrFirstLetter(string text, string? list)
    {
        Assert.AreEqual(list, ReviewDecision.Parse(text)?.List);
    }
}
