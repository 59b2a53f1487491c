using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Explain;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Rules;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Policies;

[TestClass]
public sealed class RuleExplainerTests
{
    private static (RuleExplainer Explainer, TempDirectory Dir) Create()
    {
        var dir = new TempDirectory();
        dir.Write("block.txt", "# telemetry\n||tracking.example^\n@@||ok.tracking.example^\n/^ad[0-9]+\\./\n");
        dir.Write("allow.txt", "0.0.0.0 safe.tracking.example\n");
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .List("block", "block.txt")
            .List("allow", "allow.txt")
            .Policy("strict", block: ["block"], allow: ["allow"])
            .Policy("observe", log: ["block"])
            .Device("laptop", "observe", "192.168.1.0/24")
            .Device("kids-tablet", "observe", "clientid:kids-tablet")
            .DefaultPolicy("strict")
            .ReadWithProblems(dir.Path);
        Assert.IsEmpty(problems);
        (ConfigSnapshot snapshot, _) = ActiveConfig.Compile(options);
        return (new RuleExplainer(() => snapshot, new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(TimeProvider.System, NullLogger<BlockingPause>.Instance), TimeProvider.System)), dir);
    }

    [TestMethod]
    public void Blocked_NamesListRuleAndSourceLine()
    {
        (RuleExplainer explainer, TempDirectory dir) = Create();
        using (dir)
        {
            Explanation explanation = explainer.Explain("A.Tracking.Example.");

            Assert.AreEqual("a.tracking.example", explanation.Name);
            Assert.AreEqual(PolicyAction.Blocked, explanation.Action);
            Assert.AreEqual("block", explanation.DecidingList);
            Assert.AreEqual("strict", explanation.Policy);
            MatchedRule rule = explanation.Rules.Single();
            Assert.AreEqual(Path.Combine(dir.Path, "block.txt"), rule.Source);
            Assert.AreEqual(2, rule.Line);
            Assert.AreEqual("||tracking.example^", rule.Text);
            StringAssert.Contains(explanation.ToString(), "blocked by list 'block'");
        }
    }

    [TestMethod]
    public void ExceptionsAllowListsAndPatterns_AreShownWithTheRulesThatLost()
    {
        (RuleExplainer explainer, TempDirectory dir) = Create();
        using (dir)
        {
            Explanation excepted = explainer.Explain("ok.tracking.example");
            Explanation allowed = explainer.Explain("safe.tracking.example", "AAAA");
            Explanation pattern = explainer.Explain("ad7.example.org");
            Explanation none = explainer.Explain("example.org");

            Assert.AreEqual(PolicyAction.Allowed, excepted.Action);
            CollectionAssert.AreEquivalent(new[] { 2, 3 }, excepted.Rules.Select(r => r.Line).ToArray());
            Assert.IsTrue(excepted.Rules.Single(r => r.Line == 3).IsException);
            Assert.AreEqual(PolicyAction.Allowed, allowed.Action);
            Assert.AreEqual("allow", allowed.DecidingList);
            Assert.AreEqual("AAAA", allowed.Type);
            CollectionAssert.AreEquivalent(new[] { "block", "allow" }, allowed.Rules.Select(r => r.List).ToArray());
            Assert.AreEqual(RuleScope.Pattern, pattern.Rules.Single().Scope);
            Assert.AreEqual(PolicyAction.None, none.Action);
            Assert.IsEmpty(none.Rules);
        }
    }

    [TestMethod]
    public void Device_ByNameOrAddress_UsesThatDevicesPolicy()
    {
        (RuleExplainer explainer, TempDirectory dir) = Create();
        using (dir)
        {
            Explanation byName = explainer.Explain("a.tracking.example", "A", "Laptop");
            Explanation byAddress = explainer.Explain("a.tracking.example", "A", "192.168.1.77");
            Explanation otherAddress = explainer.Explain("a.tracking.example", "A", "10.0.0.5");

            Assert.AreEqual("laptop", byName.Device);
            Assert.AreEqual("observe", byName.Policy);
            Assert.AreEqual(PolicyAction.Logged, byName.Action);
            Assert.AreEqual("block", byName.DecidingList);
            StringAssert.Contains(byName.ToString(), "logged as would-block by list 'block' (device 'laptop', policy 'observe')");
            Assert.AreEqual(byName, byAddress with { Rules = byName.Rules });
            Assert.AreEqual("unknown", otherAddress.Device);
            Assert.AreEqual(PolicyAction.Blocked, otherAddress.Action);
            Assert.AreEqual("strict", otherAddress.Policy);
            ArgumentException unknown = Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain("a.tracking.example", "A", "tablet"));
            StringAssert.Contains(unknown.Message, "unknown device 'tablet' (have: kids-tablet, laptop; or give a client address, MAC address or clientid:ID)");
        }
    }

    [TestMethod]
    public void Device_ByClientId_IsTheDeviceThatMatchesIt_AnUnknownIdIsUnknown()
    {
        (RuleExplainer explainer, TempDirectory dir) = Create();
        using (dir)
        {
            Explanation known = explainer.Explain("a.tracking.example", "A", "ClientId:Kids-Tablet");
            Explanation stranger = explainer.Explain("a.tracking.example", "A", "clientid:someone");

            Assert.AreEqual(("kids-tablet", "observe", PolicyAction.Logged), (known.Device, known.Policy, known.Action));
            Assert.AreEqual(("unknown", "strict", PolicyAction.Blocked), (stranger.Device, stranger.Policy, stranger.Action));
            ArgumentException bad = Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain("a.tracking.example", "A", "clientid:two.labels"));
            StringAssert.Contains(bad.Message, "a client ID is one DNS label");
        }
    }

    [TestMethod]
    public void BadNamesAndTypes_AreRejected()
    {
        (RuleExplainer explainer, TempDirectory dir) = Create();
        using (dir)
        {
            Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain("bad name"));
            Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain("example.org", "NOTATYPE"));
        }
    }
}
