namespace MiSinkhole.Rules.Tests;

[TestClass]
public sealed class RuleListParserTests
{
    private static (CompiledRuleSet Set, RuleListStats Stats, List<RuleListError> Errors) Load(string text)
    {
        var builder = new RuleSetBuilder(["test"]);
        var errors = new List<RuleListError>();
        RuleListStats stats = RuleListParser.Parse(new StringReader(text), "list.txt", builder, 0, errors);
        return (builder.Build(), stats, errors);
    }

    [TestMethod]
    public void HostsAndPlainDomainLines_AreBothRead_PerLine()
    {
        (CompiledRuleSet set, RuleListStats stats, List<RuleListError> errors) = Load("""
            # comment
            ! adblock-style comment
            0.0.0.0 a.example b.example   # two names, inline comment
            127.0.0.1	tab.example
            :: v6.example
            plain.example
            Upper.Example.
            127.0.0.1 localhost
            ::1 ip6-localhost ip6-loopback
            """);

        Assert.IsEmpty(errors);
        Assert.AreEqual(6, stats.Rules);
        Assert.AreEqual(3, stats.Skipped);
        foreach (string name in new[] { "a.example", "b.example", "tab.example", "v6.example", "plain.example", "upper.example" })
        {
            Assert.IsTrue(set.Match(name).IsMatch, name);
        }

        Assert.IsFalse(set.Match("localhost").IsMatch);
        Assert.AreEqual(6, set.Count);
    }

    [TestMethod]
    public void BadLines_AreReportedWithLineAndReason_AndTheRestLoads()
    {
        (CompiledRuleSet set, RuleListStats stats, List<RuleListError> errors) = Load("""
            good.example
            bad_char!.example
            two words.example
            ||adblock.example^
            0.0.0.0
            192.168.1.1.example
            10.0.0.1
            a..b
            also-good.example
            example.org##.banner
            ||x.example^$third-party
            """);

        Assert.IsTrue(set.Match("good.example").IsMatch);
        Assert.IsTrue(set.Match("also-good.example").IsMatch);
        Assert.IsTrue(set.Match("sub.adblock.example").IsMatch, "adblock syntax is a rule now");
        Assert.IsTrue(set.Match("192.168.1.1.example").IsMatch, "a name that merely starts with digits is a name");
        Assert.IsFalse(set.Match("example.org").IsMatch, "a cosmetic rule is not a domain rule");
        Assert.IsFalse(set.Match("x.example").IsMatch, "rules with unsupported modifiers are skipped");
        Assert.AreEqual(2, stats.Skipped);
        CollectionAssert.AreEqual(new[] { 2, 3, 5, 7, 8 }, errors.Select(e => e.Line).ToArray());
        Assert.IsTrue(errors.All(e => e.Source == "list.txt"));
        StringAssert.Contains(errors[0].Reason, "invalid character");
        StringAssert.Contains(errors[2].Reason, "without a name");
        StringAssert.Contains(errors[3].Reason, "without a name");
        StringAssert.Contains(errors[4].Reason, "empty label");
        Assert.AreEqual("list.txt:2: invalid character '!' in name: 'bad_char!.example'", errors[0].ToString());
    }

    [TestMethod]
    public void OverlongLabelsAndNames_AreRejected()
    {
        string longLabel = new string('a', 64) + ".example";
        string longName = string.Join('.', Enumerable.Repeat(new string('b', 60), 5));
        (_, _, List<RuleListError> errors) = Load(longLabel + "\n" + longName + "\n");

        Assert.HasCount(2, errors);
        StringAssert.Contains(errors[0].Reason, "63");
        StringAssert.Contains(errors[1].Reason, "253");
    }
}
