using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Inspect;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Inspect;

/// <summary>CNAME cloaking: a harmless-looking name whose answer points at a listed one.</summary>
[TestClass]
public sealed class InspectStageTests
{
    private static readonly DnsAnswer Cloaked = StageHarness.Answer("metrics.shop.example", m => m.Cname(null, 300, "cdn.tracker.example").A("cdn.tracker.example", 300, "192.0.2.9"));

    private static async Task<StageHarness> RunAsync(string policy, bool paused = false, PolicyAction before = PolicyAction.None)
    {
        var dir = new TempDirectory();
        ConfigSnapshot rules = StageRules.Compile(dir);
        dir.Dispose();
        var harness = new StageHarness().Query("metrics.shop.example").Resolved(rules, policy, paused);
        harness.Context.PolicyAction = before;
        harness.Downstream = context => StageHarness.Forwarded(context, Cloaked);
        await new InspectStage().InvokeAsync(harness.Context, harness.Next);
        return harness;
    }

    [TestMethod]
    public async Task BlockedCnameTarget_TurnsTheAnswerIntoTheSinkhole()
    {
        StageHarness harness = await RunAsync("strict");

        Assert.AreEqual(Outcome.Blocked, harness.Context.Outcome);
        Assert.AreEqual(PolicyAction.Blocked, harness.Context.PolicyAction);
        Assert.AreEqual("telemetry", harness.Context.MatchedList);
        Assert.IsNull(harness.Context.Answer);
    }

    [TestMethod]
    public async Task WhilePaused_OrUnderALogList_TheAnswerStands_MarkedLogged()
    {
        StageHarness paused = await RunAsync("strict", paused: true);
        StageHarness observed = await RunAsync("observe");

        Assert.AreEqual((Outcome.Forwarded, PolicyAction.Logged), (paused.Context.Outcome, paused.Context.PolicyAction));
        Assert.AreEqual((Outcome.Forwarded, PolicyAction.Logged), (observed.Context.Outcome, observed.Context.PolicyAction));
        Assert.AreSame(Cloaked, paused.Context.Answer);
    }

    [TestMethod]
    public async Task NamesThePolicyAllows_AreNotInspected()
    {
        StageHarness harness = await RunAsync("strict", before: PolicyAction.Allowed);

        Assert.AreEqual(Outcome.Forwarded, harness.Context.Outcome);
        Assert.AreEqual(PolicyAction.Allowed, harness.Context.PolicyAction);
    }
}
