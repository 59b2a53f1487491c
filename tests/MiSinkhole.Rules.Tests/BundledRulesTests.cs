namespace MiSinkhole.Rules.Tests;

/// <summary>
/// The curated Xiaomi rules must never block what keeps a phone working: no block entry may
/// equal, or be a parent of, a name on the essential allow list, and every file must parse cleanly.
/// </summary>
[TestClass]
public sealed class BundledRulesTests
{
    private static readonly string RulesDirectory = FindRules();

    [TestMethod]
    public void EveryBundledFile_ParsesWithoutErrors()
    {
        string[] files = Directory.GetFiles(RulesDirectory, "*.txt", SearchOption.AllDirectories);
        var builder = new RuleSetBuilder(["all"]);
        var errors = new List<RuleListError>();

        foreach (string file in files)
        {
            using var reader = new StreamReader(file);
            RuleListParser.Parse(reader, file, builder, 0, errors);
        }

        Assert.IsGreaterThanOrEqualTo(5, files.Length);
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.IsGreaterThan(50, builder.Count);
    }

    [TestMethod]
    public void NoBlockEntry_CoversAnEssentialName()
    {
        string xiaomi = Path.Combine(RulesDirectory, "xiaomi");
        var builder = new RuleSetBuilder(["block"]);
        var errors = new List<RuleListError>();
        foreach (string file in Directory.GetFiles(xiaomi, "*.txt").Where(IsBlockFile)
            .Concat(Directory.GetFiles(Path.Combine(RulesDirectory, "bypass"), "*.txt")))
        {
            using var reader = new StreamReader(file);
            RuleListParser.Parse(reader, file, builder, 0, errors);
        }

        CompiledRuleSet block = builder.Build();
        string[] essential = [.. File.ReadAllLines(Path.Combine(xiaomi, "essential.txt"))
            .Select(l => l.Split('#')[0].Trim())
            .Where(l => l.Length > 0)];

        Assert.IsGreaterThan(10, essential.Length);
        string[] broken = [.. essential.Where(name => block.Match(name).IsMatch)];
        Assert.IsEmpty(broken, "blocked essential names: " + string.Join(", ", broken));
        Assert.IsTrue(block.Match("data.mistat.xiaomi.com").IsMatch, "the set must still block MiStat");

        // Nor may a block rule sit at or under an essential name, where the Allow list would hide it.
        var allowBuilder = new RuleSetBuilder(["essential"]);
        using (var reader = new StreamReader(Path.Combine(xiaomi, "essential.txt")))
        {
            RuleListParser.Parse(reader, "essential.txt", allowBuilder, 0, errors);
        }

        CompiledRuleSet allow = allowBuilder.Build();
        string[] blockNames = [.. Directory.GetFiles(xiaomi, "*.txt")
            .Where(IsBlockFile)
            .SelectMany(File.ReadAllLines)
            .Select(l => l.Split('#')[0].Trim().TrimStart('|', '*', '.').TrimEnd('^', '|'))
            .Where(l => l.Length > 0 && !l.StartsWith('!'))];
        string[] hidden = [.. blockNames.Where(name => allow.Match(name).IsMatch)];
        Assert.IsEmpty(hidden, "block rules hidden under essential names: " + string.Join(", ", hidden));
    }

    [TestMethod]
    [DataRow("google.com")]
    [DataRow("www.google.com")]
    [DataRow("apple.com")]
    [DataRow("icloud.com")]
    [DataRow("microsoft.com")]
    [DataRow("amazon.com")]
    [DataRow("facebook.com")]
    [DataRow("wikipedia.org")]
    [DataRow("github.com")]
    [DataRow("netflix.com")]
    [DataRow("mit.edu")]
    [DataRow("minecraft.net")]
    [DataRow("xiaohongshu.com")]
    [DataRow("mi.edu")]
    [DataRow("miui.org")]
    [DataRow("xiaomi.org")]
    [DataRow("ads.google.com.xiaomi.example")]
    [DataRow("mistat.example.com")]
    public void NoBundledRule_MatchesPopularOrLookAlikeNonXiaomiNames(string name)
    {
        var builder = new RuleSetBuilder(["all"]);
        var errors = new List<RuleListError>();
        foreach (string file in Directory.GetFiles(Path.Combine(RulesDirectory, "xiaomi"), "*.txt"))
        {
            using var reader = new StreamReader(file);
            RuleListParser.Parse(reader, file, builder, 0, errors);
        }

        Assert.IsFalse(builder.Build().Match(name).IsMatch, name);
    }

    /// <summary>The extended tier is honest: every rule says what blocking it breaks and gives evidence of a known kind.</summary>
    [TestMethod]
    public void EveryExtendedRule_SaysWhatItBreaks_WithEvidence()
    {
        string file = Path.Combine(RulesDirectory, "xiaomi", "extended.txt");
        string[] lines = File.ReadAllLines(file);
        var problems = new List<string>();
        int rules = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string rule = lines[i].Split('#')[0].Trim();
            if (rule.Length == 0)
            {
                continue;
            }

            rules++;
            RuleNotes notes = RuleNotes.Of(lines, i + 1);
            if (string.IsNullOrWhiteSpace(notes.Breaks))
            {
                problems.Add($"{file}:{i + 1}: {rule}: no '# breaks:' note");
            }

            if (notes.Evidence.Count == 0 || notes.Evidence.Any(e => !RuleNotes.Kinds.Contains(e.Kind) || e.Reference.Length == 0))
            {
                problems.Add($"{file}:{i + 1}: {rule}: evidence missing, or of no known kind ({string.Join(", ", RuleNotes.Kinds)}) with a reference");
            }
        }

        Assert.IsGreaterThanOrEqualTo(2, rules);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    /// <summary>Every file of xiaomi/ blocks but the essential allow list and the zones (Discovery:Zones, which never block).</summary>
    private static bool IsBlockFile(string file) => !file.EndsWith("essential.txt", StringComparison.Ordinal) && !file.EndsWith("zones.txt", StringComparison.Ordinal);

    private static string FindRules()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "config", "rules");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("config/rules not found above " + AppContext.BaseDirectory);
    }
}
