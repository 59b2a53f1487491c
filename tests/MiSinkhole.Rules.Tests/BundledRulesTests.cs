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

    /// <summary>Every rule of every bundled list carries evidence of a known kind, with a reference.</summary>
    [TestMethod]
    public void EveryBundledRule_HasEvidence()
    {
        var problems = new List<string>();
        int rules = 0;
        foreach (string file in BundledFiles())
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string rule = lines[i].Split('#')[0].Trim();
                if (rule.Length == 0 || rule.StartsWith('!'))
                {
                    continue;
                }

                rules++;
                RuleNotes notes = RuleNotes.Of(lines, i + 1);
                if (notes.Evidence.Count == 0 || notes.Evidence.Any(e => !RuleNotes.Kinds.Contains(e.Kind) || e.Reference.Length == 0))
                {
                    problems.Add($"{file}:{i + 1}: {rule}: evidence missing, or of no known kind ({string.Join(", ", RuleNotes.Kinds)}) with a reference");
                }
            }
        }

        Assert.IsGreaterThan(200, rules);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    /// <summary>
    /// The bundled block tier promises that nothing known breaks: a rule with a known cost (a
    /// <c># breaks:</c> note) belongs in extended.txt.
    /// </summary>
    [TestMethod]
    [DataRow("telemetry.txt")]
    [DataRow("ads.txt")]
    [DataRow("crash.txt")]
    [DataRow("browser.txt")]
    public void NoBundledTierRule_HasAKnownCost(string name)
    {
        string file = Path.Combine(RulesDirectory, "xiaomi", name);
        string[] lines = File.ReadAllLines(file);
        string[] costly = [.. lines.Select((line, i) => (Rule: line.Split('#')[0].Trim(), Line: i + 1))
            .Where(r => r.Rule.Length > 0 && RuleNotes.Of(lines, r.Line).Breaks is not null)
            .Select(r => $"{file}:{r.Line}: {r.Rule}")];
        Assert.IsEmpty(costly, "rules with a '# breaks:' note in the bundled tier:\n" + string.Join("\n", costly));
    }

    /// <summary>
    /// No name that the research set (tests/data/xiaomi-research/curation.tsv) reports as needed is
    /// blocked by the bundled tier, unless the essential list allows it.
    /// </summary>
    [TestMethod]
    public void NoNeededResearchName_IsBlockedByTheBundledTier()
    {
        CompiledRuleSet block = Compile("telemetry.txt", "ads.txt", "crash.txt", "browser.txt");
        CompiledRuleSet allow = Compile("essential.txt");
        string[] needed = [.. NeededResearchNames()];

        Assert.IsGreaterThan(50, needed.Length);
        string[] blocked = [.. needed.Where(n => block.Match(n).IsMatch && !allow.Match(n).IsMatch)];
        Assert.IsEmpty(blocked, "needed names blocked by the bundled tier: " + string.Join(", ", blocked));
    }

    /// <summary>
    /// The shape rules (<c>|label.*.zone^</c>) of the bundled files catch telemetry-shaped hosts
    /// nobody has listed yet, and none of them matches an essential name, a name the research set
    /// reports as needed, the benign names, or a shape's own zone-level name.
    /// </summary>
    [TestMethod]
    public void ShapeRules_CatchNewTelemetryHosts_AndNoEssentialNeededOrBenignName()
    {
        var builder = new RuleSetBuilder(["shapes"]);
        var errors = new List<RuleListError>();
        string[] shapes = [.. BundledFiles().SelectMany(File.ReadAllLines)
            .Select(l => l.Split('#')[0].Trim())
            .Where(r => r.StartsWith('|') && r.Contains(".*.", StringComparison.Ordinal))];
        RuleListParser.Parse(new StringReader(string.Join("\n", shapes)), "shapes", builder, 0, errors);
        CompiledRuleSet set = builder.Build();

        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.IsGreaterThanOrEqualTo(40, shapes.Length);
        Assert.AreEqual(shapes.Length, set.ShapeCount, "every shape is matched by table lookups, not as a regular expression");
        foreach (string caught in (string[])["sentry.new-service.xiaomi.com", "stat.tv.mi.com", "tracking.sg.miui.com", "log.a.b.xiaomi.net", "mistat.eu.xiaomi.com", "stats.x.duokanbox.com"])
        {
            Assert.IsTrue(set.Match(caught).IsMatch, caught);
        }

        string[] essential = [.. File.ReadAllLines(Path.Combine(RulesDirectory, "xiaomi", "essential.txt"))
            .Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0)];
        string[] benign = ["tracking.miui.com", "stat.xiaomi.com", "sentry.io", "o1.ingest.sentry.io", "log.example.com", "stats.google.com",
            "logupdate.avlyun.sec.miui.com", "stats-fm.music.xiaomi.com", "statusapi.micloud.xiaomi.net", "logistics.mi.com", "www.mi.com", "www.xiaomi.com"];
        string[] wrong = [.. essential.Concat(NeededResearchNames()).Concat(benign).Where(n => set.Match(n).IsMatch)];
        Assert.IsEmpty(wrong, "shapes that match essential, needed or benign names: " + string.Join(", ", wrong));
    }

    internal static IEnumerable<string> BundledFiles() =>
        Directory.GetFiles(Path.Combine(RulesDirectory, "xiaomi"), "*.txt")
            .Concat(Directory.GetFiles(Path.Combine(RulesDirectory, "bypass"), "*.txt"))
            .Order(StringComparer.Ordinal);

    /// <summary>The names of curation.tsv whose <c>needed</c> column is <c>yes</c>.</summary>
    internal static IEnumerable<string> NeededResearchNames()
    {
        string table = Path.Combine(RulesDirectory, "..", "..", "tests", "data", "xiaomi-research", "curation.tsv");
        string[] header = File.ReadLines(table).First().Split('\t');
        int name = Array.IndexOf(header, "name");
        int needed = Array.IndexOf(header, "needed");
        return File.ReadLines(table).Skip(1).Select(l => l.Split('\t')).Where(c => c[needed] == "yes").Select(c => c[name]);
    }

    internal static CompiledRuleSet Compile(params string[] xiaomiFiles)
    {
        var builder = new RuleSetBuilder(["list"]);
        var errors = new List<RuleListError>();
        foreach (string name in xiaomiFiles)
        {
            string file = Path.Combine(RulesDirectory, "xiaomi", name);
            using var reader = new StreamReader(file);
            RuleListParser.Parse(reader, file, builder, 0, errors);
        }

        Assert.IsEmpty(errors, string.Join("\n", errors));
        return builder.Build();
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
