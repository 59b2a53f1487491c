using System.Text.RegularExpressions;
using CsCheck;

namespace MiSinkhole.Rules.Tests.Properties;

/// <summary>
/// The list-line parser against generated and random lines (CsCheck): every form of a generated
/// domain compiles to a rule that matches exactly what the form says (the name, its subdomains,
/// a shape's hosts); a random line is a rule, a skip or an error with a reason, never an
/// exception, and a rule's name comes out lowercase and valid.
/// </summary>
[TestClass]
public sealed class RuleLineProperties
{
    private static readonly Gen<string> Label = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"], 1, 20];

    // The last label carries a letter: an all-numeric name ("5.7") is an IP address, which the
    // parser rightly refuses as a domain.
    private static readonly Gen<string> Tld = Gen.Select(Label, Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"], (label, letter) => label[..Math.Min(label.Length, 19)] + letter);

    private static readonly Gen<string> Domain = Gen.Select(Label.Array[1, 3], Tld, (labels, tld) => string.Join('.', labels) + "." + tld);

    [TestMethod]
    public void EveryFormOfAGeneratedDomain_MatchesWhatItSays()
    {
        Gen.Select(Domain, Label, Label).Sample((domain, sub, shape) =>
        {
            string lower = domain.ToLowerInvariant();
            string child = $"{sub}.{domain}";
            (string Line, bool Name, bool Child)[] forms =
            [
                (domain, true, true),
                ($"0.0.0.0 {domain}", true, true),
                ($"||{domain}^", true, true),
                ($"|{domain}^", true, false),
                ($"*.{domain}", false, true),
                ($"|{shape}.*.{domain}^", false, false),
            ];

            // One list per form, compiled together: bit i of a match is form i.
            var builder = new RuleSetBuilder([.. forms.Select((_, i) => $"form{i}")]);
            var errors = new List<RuleListError>();
            for (int i = 0; i < forms.Length; i++)
            {
                RuleListParser.Parse(new StringReader(forms[i].Line), forms[i].Line, builder, i, errors);
            }

            CompiledRuleSet set = builder.Build();
            Assert.IsEmpty(errors, string.Join("; ", errors));
            Assert.AreEqual(1, set.ShapeCount, "the shape is matched by table lookups");
            for (int i = 0; i < forms.Length - 1; i++)
            {
                ulong bit = 1UL << i;
                Assert.AreEqual(forms[i].Name, (set.Match(lower).Lists & bit) != 0, $"{forms[i].Line} at {lower}");
                Assert.AreEqual(forms[i].Child, (set.Match(child).Lists & bit) != 0, $"{forms[i].Line} at {child}");
                Assert.AreEqual(0UL, set.Match("x" + lower).Lists & bit, $"{forms[i].Line} at a look-alike");
            }

            // The shape: the leftmost label under the zone, at least one label between, as its pattern says.
            var pattern = new Regex($"^{Regex.Escape(shape)}\\..*\\.{Regex.Escape(domain)}$", RegexOptions.IgnoreCase);
            ulong shapeBit = 1UL << (forms.Length - 1);
            foreach (string name in (string[])[$"{shape}.{sub}.{domain}", $"{shape}.{domain}", $"{sub}.{shape}.{sub}.{domain}", $"{shape}.{sub}.{sub}.{domain}", child])
            {
                Assert.AreEqual(pattern.IsMatch(name), (set.Match(name).Lists & shapeBit) != 0, $"|{shape}.*.{domain}^ at {name}");
            }
        }, iter: 1_000);
    }

    [TestMethod]
    public void RandomLines_AreARuleASkipOrAnError_NeverAnException()
    {
        var sink = new NullSink();
        Gen.String[Gen.Char["abcxyz019-._*|^@$/!#~=,AZ \t[]()\\"], 0, 60].Sample(line =>
        {
            Span<char> name = stackalloc char[256];
            AdblockParseResult result = AdblockRuleParser.Parse(line.Trim(), name, out AdblockRule rule, out int length, out string? problem);
            Assert.IsTrue(Enum.IsDefined(result), line);
            if (result == AdblockParseResult.Error)
            {
                Assert.IsFalse(string.IsNullOrWhiteSpace(problem), $"an error says why: '{line}'");
            }

            if (result == AdblockParseResult.Rule && rule.Scope != RuleScope.Pattern)
            {
                string parsed = name[..length].ToString();
                Assert.IsTrue(length is > 0 and <= 253, $"'{line}' → '{parsed}'");
                Assert.AreEqual(parsed.ToLowerInvariant(), parsed, $"'{line}' → '{parsed}'");
            }

            // The whole list parser takes any line too, and reports a bad one with its line number.
            var errors = new List<RuleListError>();
            RuleListParser.Parse(new StringReader(line), "random", sink, 0, errors);
            Assert.IsTrue(errors.All(e => e.Line == 1 && e.Reason.Length > 0), line);
        }, iter: 10_000);
    }

    private sealed class NullSink : IRuleSink
    {
        public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
        {
        }
    }
}
