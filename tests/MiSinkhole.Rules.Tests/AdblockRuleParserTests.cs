using System.Text.RegularExpressions;

namespace MiSinkhole.Rules.Tests;

[TestClass]
public sealed class AdblockRuleParserTests
{
    private static (AdblockParseResult Result, AdblockRule Rule, string Name, string? Problem) Parse(string line)
    {
        Span<char> name = stackalloc char[256];
        AdblockParseResult result = AdblockRuleParser.Parse(line, name, out AdblockRule rule, out int length, out string? problem);
        return (result, rule, name[..length].ToString(), problem);
    }

    [TestMethod]
    [DataRow("||Ads.Example.com^", "ads.example.com", RuleScope.NameAndSubdomains)]
    [DataRow("||ads.example.com", "ads.example.com", RuleScope.NameAndSubdomains)]
    [DataRow("|ads.example.com^", "ads.example.com", RuleScope.ExactName)]
    [DataRow("|ads.example.com|", "ads.example.com", RuleScope.ExactName)]
    [DataRow("*.ads.example.com", "ads.example.com", RuleScope.SubdomainsOnly)]
    [DataRow("||*.ads.example.com^", "ads.example.com", RuleScope.SubdomainsOnly)]
    [DataRow("ads.example.com^", "ads.example.com", RuleScope.NameAndSubdomains)]
    [DataRow("||ads.example.com.^", "ads.example.com", RuleScope.NameAndSubdomains)]
    public void DomainRules_GetTheirScopeAndANormalisedName(string line, string name, RuleScope scope)
    {
        var parsed = Parse(line);

        Assert.AreEqual(AdblockParseResult.Rule, parsed.Result, parsed.Problem);
        Assert.AreEqual(name, parsed.Name);
        Assert.AreEqual(scope, parsed.Rule.Scope);
        Assert.IsFalse(parsed.Rule.IsException);
    }

    [TestMethod]
    public void Modifiers_ExceptionImportantBadfilterDnstype()
    {
        var exception = Parse("@@||update.miui.com^");
        var important = Parse("||tracking.miui.com^$important");
        var bad = Parse("||tracking.miui.com^$badfilter");
        var typed = Parse("||example.org^$dnstype=AAAA|HTTPS,important");
        var notA = Parse("||example.org^$dnstype=~A|~TYPE65");

        Assert.IsTrue(exception.Rule.IsException);
        Assert.AreEqual("update.miui.com", exception.Name);
        Assert.IsTrue(important.Rule.IsImportant);
        Assert.IsTrue(bad.Rule.IsBadFilter);
        Assert.IsTrue(typed.Rule.IsImportant);
        Assert.IsTrue(typed.Rule.Types!.Applies(28));
        Assert.IsTrue(typed.Rule.Types.Applies(65));
        Assert.IsFalse(typed.Rule.Types.Applies(1));
        Assert.IsFalse(notA.Rule.Types!.Applies(1));
        Assert.IsFalse(notA.Rule.Types.Applies(65));
        Assert.IsTrue(notA.Rule.Types.Applies(28));
    }

    [TestMethod]
    public void RegexAndWildcards_BecomeNonBacktrackingPatterns()
    {
        var regex = Parse(@"/^ad[0-9]+\.example\.com$/");
        var wildcard = Parse("||ad*.example.com^");
        var exactWildcard = Parse("|ad*.example.com^");

        Assert.AreEqual(RuleScope.Pattern, regex.Rule.Scope);
        Assert.IsTrue(Regex.IsMatch("ad12.example.com", regex.Rule.Pattern!, AdblockRuleParser.PatternOptions));
        Assert.IsFalse(Regex.IsMatch("ads.example.com", regex.Rule.Pattern!, AdblockRuleParser.PatternOptions));
        Assert.IsTrue(Regex.IsMatch("x.ad-server.example.com", wildcard.Rule.Pattern!, AdblockRuleParser.PatternOptions));
        Assert.IsFalse(Regex.IsMatch("bad.example.com", wildcard.Rule.Pattern!, AdblockRuleParser.PatternOptions));
        Assert.IsFalse(Regex.IsMatch("x.ad-server.example.com", exactWildcard.Rule.Pattern!, AdblockRuleParser.PatternOptions));
        Assert.IsTrue(Regex.IsMatch("ad-server.example.com", exactWildcard.Rule.Pattern!, AdblockRuleParser.PatternOptions));
    }

    [TestMethod]
    [DataRow("example.com##.banner", "cosmetic rule")]
    [DataRow("example.com#@#.banner", "cosmetic rule")]
    [DataRow("||example.com^$client=192.168.1.2", "unsupported modifier")]
    [DataRow("||example.com^$third-party", "unsupported modifier")]
    public void CosmeticRulesAndOtherModifiers_AreSkippedNotFatal(string line, string reason)
    {
        var parsed = Parse(line);

        Assert.AreEqual(AdblockParseResult.Skipped, parsed.Result);
        StringAssert.Contains(parsed.Problem!, reason);
    }

    [TestMethod]
    [DataRow(@"/(a)\1/", "not supported")]
    [DataRow("/[unclosed/", "invalid regular expression")]
    [DataRow("||example.com^$dnstype=BOGUS", "unknown record type")]
    [DataRow("||example.com^$dnstype=A|~AAAA", "mixes")]
    [DataRow("||exa mple.com^", "invalid character")]
    [DataRow("||example.com^$", "empty modifier")]
    [DataRow("||ex^ample.com", "unsupported rule syntax")]
    public void MalformedRules_AreErrorsWithAReason(string line, string reason)
    {
        var parsed = Parse(line);

        Assert.AreEqual(AdblockParseResult.Error, parsed.Result);
        StringAssert.Contains(parsed.Problem!, reason);
    }

    [TestMethod]
    public void HostsAndPlainLines_AreNotAdblock_AndIdnIsPunycoded()
    {
        Assert.AreEqual(AdblockParseResult.NotAdblock, Parse("0.0.0.0 ads.example.com").Result);
        Assert.AreEqual(AdblockParseResult.NotAdblock, Parse("ads.example.com").Result);
        var idn = Parse("||bücher.example^");
        Assert.AreEqual(AdblockParseResult.Rule, idn.Result, idn.Problem);
        Assert.AreEqual("xn--bcher-kva.example", idn.Name);
    }
}
