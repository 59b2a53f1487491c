using System.Text.RegularExpressions;

namespace MiSinkhole.Rules.Tests;

/// <summary>What compiled adblock rules match: scopes, exceptions, importance, record types, patterns, badfilter.</summary>
[TestClass]
public sealed class RuleSemanticsTests
{
    private static CompiledRuleSet Compile(params string[] lists)
    {
        var builder = new RuleSetBuilder([.. lists.Select((_, i) => $"l{i}")]);
        var errors = new List<RuleListError>();
        for (int i = 0; i < lists.Length; i++)
        {
            RuleListParser.Parse(new StringReader(lists[i]), $"l{i}", builder, i, errors);
        }

        Assert.IsEmpty(errors, string.Join("; ", errors));
        return builder.Build();
    }

    [TestMethod]
    public void RuleFor_NamesTheMostSpecificRuleOfTheList()
    {
        CompiledRuleSet set = Compile(
            "||xiaomi.com^\n||mistat.xiaomi.com^\n|exact.data.mistat.xiaomi.com^\n",
            "data.mistat.xiaomi.com\n@@||ok.example^\n||typed.example^$dnstype=AAAA\n",
            "/^ad[0-9]+\\./\n");
        byte[] name = Dns.DnsName.FromText("a.data.mistat.xiaomi.com");

        Assert.AreEqual("mistat.xiaomi.com", set.RuleFor(name, 1, 0), "the parent rule; the exact rule does not cover a subdomain");
        Assert.AreEqual("exact.data.mistat.xiaomi.com", set.RuleFor(Dns.DnsName.FromText("exact.data.mistat.xiaomi.com"), 1, 0));
        Assert.AreEqual("data.mistat.xiaomi.com", set.RuleFor(name, 1, 1));
        Assert.IsNull(set.RuleFor(name, 1, 2));
        Assert.AreEqual("ok.example", set.RuleFor(Dns.DnsName.FromText("x.ok.example"), 1, 1), "exceptions are rules too");
        Assert.AreEqual("typed.example", set.RuleFor(Dns.DnsName.FromText("typed.example"), 28, 1));
        Assert.IsNull(set.RuleFor(Dns.DnsName.FromText("typed.example"), 1, 1), "$dnstype=AAAA does not cover A");
        Assert.AreEqual("/^ad[0-9]+\\./", set.RuleFor(Dns.DnsName.FromText("ad7.example.org"), 1, 2));
    }

    [TestMethod]
    public void Scopes_ExactSubtreeAndSubdomainsOnly()
    {
        CompiledRuleSet set = Compile("|exact.example^\n||tree.example^\n*.subs.example\n");

        Assert.IsTrue(set.Match("exact.example").IsMatch);
        Assert.IsFalse(set.Match("a.exact.example").IsMatch);
        Assert.IsTrue(set.Match("tree.example").IsMatch);
        Assert.IsTrue(set.Match("a.b.tree.example").IsMatch);
        Assert.IsFalse(set.Match("subs.example").IsMatch);
        Assert.IsTrue(set.Match("a.subs.example").IsMatch);
    }

    [TestMethod]
    public void ExceptionsAndImportant_AreReportedPerList()
    {
        CompiledRuleSet set = Compile("||miui.com^\n@@||update.miui.com^\n", "||tracking.miui.com^$important\n");

        RuleMatch update = set.Match("update.miui.com");
        RuleMatch tracking = set.Match("a.tracking.miui.com");

        Assert.AreEqual(0b01UL, update.Lists);
        Assert.AreEqual(0b01UL, update.Exceptions);
        Assert.AreEqual(0b11UL, tracking.Lists);
        Assert.AreEqual(0b10UL, tracking.Important);
        Assert.AreEqual(0UL, tracking.Exceptions);
    }

    [TestMethod]
    public void DnsTypeRules_ApplyOnlyToTheirTypes()
    {
        CompiledRuleSet set = Compile("||v6only.example^$dnstype=AAAA\n||not-https.example^$dnstype=~HTTPS\n");

        Assert.IsTrue(set.Match("www.v6only.example", 28).IsMatch);
        Assert.IsFalse(set.Match("www.v6only.example", 1).IsMatch);
        Assert.IsTrue(set.Match("not-https.example", 1).IsMatch);
        Assert.IsFalse(set.Match("not-https.example", 65).IsMatch);
    }

    [TestMethod]
    public void Patterns_MatchTheWholeName()
    {
        CompiledRuleSet set = Compile("/^ad[0-9]+\\./\n||metrics*.example.net^\n");

        Assert.IsTrue(set.Match("ad12.example.org").IsMatch);
        Assert.IsFalse(set.Match("ads.example.org").IsMatch);
        Assert.IsTrue(set.Match("x.metrics-eu.example.net").IsMatch);
        Assert.IsFalse(set.Match("example.net").IsMatch);
        Assert.AreEqual(2, set.PatternCount);
    }

    [TestMethod]
    public void Shapes_MatchTheLeftmostLabelAnywhereUnderTheZone_AsTheirPatternDoes()
    {
        const string Rules = "|sentry.*.xiaomi.com^\n|stat.*.mi.com^\n";
        CompiledRuleSet set = Compile(Rules);
        string[] names =
        [
            "sentry.pay.xiaomi.com", "sentry.a.b.c.xiaomi.com", "sentry.xiaomi.com", "x.sentry.pay.xiaomi.com",
            "sentry.pay.xiaomi.com.evil.example", "sentry.pay.xiaomi.co", "sentryx.pay.xiaomi.com", "sentry.pay.notxiaomi.com",
            "stat.youpin.mi.com", "stat.mi.com", "mi.com", "stat.x.xiaomi.com", "sentry.x.mi.com", "sentry.x.xiaomi.com.",
        ];
        Regex[] patterns = [new(@"^sentry\..*\.xiaomi\.com$"), new(@"^stat\..*\.mi\.com$")];

        Assert.AreEqual(2, set.ShapeCount);
        Assert.AreEqual(2, set.PatternCount);
        foreach (string name in names)
        {
            bool expected = patterns.Any(p => p.IsMatch(name.TrimEnd('.')));
            Assert.AreEqual(expected, set.Match(name).IsMatch, name);
        }

        Assert.AreEqual("|sentry.*.xiaomi.com^", set.RuleFor(Dns.DnsName.FromText("sentry.a.b.xiaomi.com"), 1, 0));
    }

    [TestMethod]
    public void Shapes_TakeExceptionsImportantAndBadFilter_LikeOtherRules()
    {
        CompiledRuleSet set = Compile(
            "|log.*.example.com^\n|stat.*.example.com^$important\n|typed.*.example.com^$dnstype=AAAA\n",
            "@@|log.*.example.com^\n@@||stat.x.example.com^\n|gone.*.example.com^\n|gone.*.example.com^$badfilter\n");

        RuleMatch log = set.Match("log.x.example.com");
        Assert.AreEqual(1UL, log.Lists);
        Assert.AreEqual(2UL, log.Exceptions);
        Assert.AreEqual(1UL, set.Match("stat.x.example.com").Important);
        Assert.IsTrue(set.Match("typed.x.example.com", 28).IsMatch, "a typed shape stays a pattern");
        Assert.IsFalse(set.Match("typed.x.example.com", 1).IsMatch);
        Assert.IsFalse(set.Match("gone.x.example.com").IsMatch);
    }

    [TestMethod]
    public void BadFilter_DisablesTheSameRuleInEveryList_OnlyThatRule()
    {
        CompiledRuleSet set = Compile("||ads.example^\n|exact.example^\n", "||ads.example^$badfilter\n||other.example^\n");

        Assert.IsFalse(set.Match("ads.example").IsMatch);
        Assert.IsTrue(set.Match("exact.example").IsMatch);
        Assert.IsTrue(set.Match("other.example").IsMatch);
    }

    [TestMethod]
    public void Matching_StillAllocatesNothing_WithTypedRulesAndPatterns()
    {
        CompiledRuleSet set = Compile("||v6only.example^$dnstype=AAAA\n/^ad[0-9]+\\./\n||plain.example^\n");
        byte[] name = MiSinkhole.Dns.DnsName.FromText("ad7.www.v6only.example");
        for (int i = 0; i < 200; i++)
        {
            set.Match(name, 28); // the regex engine builds its DFA states lazily on the first matches
        }

        // Steady state: a round can catch the runtime's one-off work (tiering up Match while this
        // thread runs it), so the least of three rounds must be nothing; allocating per match fails every round.
        bool all = true;
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                all &= set.Match(name, 28).IsMatch;
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.IsTrue(all);
        Assert.AreEqual(0L, least);
    }
}
