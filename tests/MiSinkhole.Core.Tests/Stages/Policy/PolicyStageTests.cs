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
}
