using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Policy;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Policy;

/// <summary>The policy stage marks a name under one of Xiaomi's zones that no list knows as unclassified, whatever the policy.</summary>
[TestClass]
public sealed class UnclassifiedNameTests
{
    private static ConfigSnapshot Compile(TempDirectory dir, bool discovery = true)
    {
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        dir.Write("essential.txt", "update.miui.com\n");
        dir.Write("extended.txt", "|wtradv.market.xiaomi.com^\n");
        dir.Write("known.txt", "benign.xiaomi.com\n");
        dir.Write("zones.txt", "xiaomi.com\nmiui.com\n");
        return ActiveConfig.Compile(new TestConfig()
            .List("xiaomi-telemetry", "telemetry.txt")
            .List("xiaomi-essential", "essential.txt")
            .List("xiaomi-extended", "extended.txt")
            .List("local-known", "known.txt")
            .List("xiaomi-zones", "zones.txt")
            .Set("Discovery:Zones:0", "xiaomi-zones")
            .Set("Discovery:Enabled", discovery ? null : "false")
            .Policy("strict", block: ["xiaomi-telemetry"], allow: ["xiaomi-essential"])
            .Policy("open")
            .DefaultPolicy("strict")
            .Read(dir.Path)).Snapshot;
    }

    [TestMethod]
    [DataRow("new.host.xiaomi.com", "strict", "xiaomi-zones", DisplayName = "under a zone, on no list: unclassified")]
    [DataRow("xiaomi.com", "strict", "xiaomi-zones", DisplayName = "the zone's own name too")]
    [DataRow("new.host.xiaomi.com", "open", "xiaomi-zones", DisplayName = "whatever the policy")]
    [DataRow("a.tracking.miui.com", "strict", null, DisplayName = "blocked by a list: classified")]
    [DataRow("a.tracking.miui.com", "open", null, DisplayName = "on a list of no policy of this device: still classified")]
    [DataRow("update.miui.com", "strict", null, DisplayName = "allowed: classified")]
    [DataRow("wtradv.market.xiaomi.com", "strict", null, DisplayName = "extended tier, which strict does not use: classified")]
    [DataRow("x.benign.xiaomi.com", "strict", null, DisplayName = "a list in no policy (local-known): classified")]
    [DataRow("www.example.org", "strict", null, DisplayName = "outside every zone")]
    [DataRow("xiaomi.com.example.org", "strict", null, DisplayName = "a look-alike")]
    public async Task Unclassified_IsUnderAZone_AndOnNoOtherList(string name, string policy, string? expected)
    {
        using var dir = new TempDirectory();
        ConfigSnapshot rules = Compile(dir);
        var harness = new StageHarness().Query(name).Resolved(rules, policy);

        await new PolicyStage().InvokeAsync(harness.Context, harness.Next);

        Assert.AreEqual(expected, harness.Context.UnclassifiedList);
        if (expected is not null)
        {
            Assert.AreEqual((PolicyAction.None, null, 1), (harness.Context.PolicyAction, harness.Context.MatchedList, harness.NextCalls), "answered as any name no list holds");
        }
    }

    [TestMethod]
    public async Task DiscoveryOff_MarksNothing_AndAResetClearsTheMark()
    {
        using var dir = new TempDirectory();
        using var offDir = new TempDirectory();
        ConfigSnapshot on = Compile(dir);
        ConfigSnapshot off = Compile(offDir, discovery: false);
        var harness = new StageHarness().Query("new.host.xiaomi.com").Resolved(off, "strict");

        await new PolicyStage().InvokeAsync(harness.Context, harness.Next);
        string? whileOff = harness.Context.UnclassifiedList;
        harness.Query("new.host.xiaomi.com").Resolved(on, "strict");
        await new PolicyStage().InvokeAsync(harness.Context, harness.Next);
        string? whileOn = harness.Context.UnclassifiedList;
        harness.Context.Reset();

        Assert.AreEqual(0UL, off.ZoneMask);
        Assert.IsNull(whileOff);
        Assert.AreEqual("xiaomi-zones", whileOn);
        Assert.IsNull(harness.Context.UnclassifiedList, "a pooled context starts the next query clean");
    }
}
