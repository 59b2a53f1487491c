using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Policy;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Policy;

[TestClass]
public sealed class PolicyStageTests
{
    [TestMethod]
    [DataRow("x.tracking.miui.com", "strict", false, PolicyAction.Blocked, "telemetry", DisplayName = "Block list: sinkholed here")]
    [DataRow("x.tracking.miui.com", "strict", true, PolicyAction.Logged, "telemetry", DisplayName = "paused: would have blocked, answered")]
    [DataRow("x.tracking.miui.com", "observe", false, PolicyAction.Logged, "telemetry", DisplayName = "Log list: answered and marked")]
    [DataRow("update.tracking.miui.com", "strict", false, PolicyAction.Allowed, "essential", DisplayName = "Allow list beats the Block list")]
    [DataRow("example.org", "strict", false, PolicyAction.None, null, DisplayName = "on no list")]
    public async Task Verdict_OfTheResolvedClientPolicy(string name, string policy, bool paused, PolicyAction action, string? list)
    {
        using var dir = new TempDirectory();
        ConfigSnapshot rules = StageRules.Compile(dir);
        var harness = new StageHarness().Query(name).Resolved(rules, policy, paused);

        await new PolicyStage().InvokeAsync(harness.Context, harness.Next);

        Assert.AreEqual(action, harness.Context.PolicyAction);
        Assert.AreEqual(list, harness.Context.MatchedList);
        bool blocked = action == PolicyAction.Blocked;
        Assert.AreEqual(blocked ? 0 : 1, harness.NextCalls, "a blocked name is never passed on (never sent upstream)");
        Assert.AreEqual(blocked ? Outcome.Blocked : Outcome.None, harness.Context.Outcome);
        if (blocked)
        {
            Assert.AreEqual(0, harness.ResponseCode);
            Assert.IsGreaterThan(harness.Context.RequestLength, harness.Context.ResponseLength, "the sinkhole answer carries a record");
        }
    }

    [TestMethod]
    public async Task AListsOwnBlockResponse_WinsOverThePolicys()
    {
        using var dir = new TempDirectory();
        dir.Write("canary.txt", "use-application-dns.net\n");
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        ConfigSnapshot rules = ActiveConfig.Compile(new TestConfig()
            .List("canary", "canary.txt").Set("Lists:canary:BlockResponse", "NxDomain")
            .List("telemetry", "telemetry.txt")
            .Policy("strict", block: ["canary", "telemetry"])
            .Read(dir.Path)).Snapshot;
        var canary = new StageHarness().Query("use-application-dns.net").Resolved(rules, "strict");
        var telemetry = new StageHarness().Query("tracking.miui.com").Resolved(rules, "strict");

        await new PolicyStage().InvokeAsync(canary.Context, canary.Next);
        await new PolicyStage().InvokeAsync(telemetry.Context, telemetry.Next);

        Assert.AreEqual((Outcome.Blocked, 3), (canary.Context.Outcome, canary.ResponseCode), "NXDOMAIN: Firefox keeps the network's DNS");
        Assert.AreEqual((Outcome.Blocked, 0), (telemetry.Context.Outcome, telemetry.ResponseCode), "the policy's NullIp for the other list");
    }
}
