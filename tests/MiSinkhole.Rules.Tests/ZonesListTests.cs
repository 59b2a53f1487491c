namespace MiSinkhole.Rules.Tests;

/// <summary>xiaomi/zones.txt, the zones unclassified names are found under: plain names, each with a reason and evidence.</summary>
[TestClass]
public sealed class ZonesListTests
{
    private static readonly string File = FindZones();

    [TestMethod]
    public void EveryZone_IsAPlainName_WithEvidenceOfAKnownKind()
    {
        string[] lines = System.IO.File.ReadAllLines(File);
        var problems = new List<string>();
        var zones = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            string rule = lines[i].Split('#')[0].Trim();
            if (rule.Length == 0)
            {
                continue;
            }

            zones.Add(rule);
            if (rule.IndexOfAny(['|', '^', '*', '/', '$', '@']) >= 0 || !rule.Contains('.', StringComparison.Ordinal))
            {
                problems.Add($"{File}:{i + 1}: {rule}: a zone is a plain registrable name");
            }

            RuleNotes notes = RuleNotes.Of(lines, i + 1);
            if (notes.Evidence.Count == 0 || notes.Evidence.Any(e => !RuleNotes.Kinds.Contains(e.Kind) || e.Reference.Length == 0))
            {
                problems.Add($"{File}:{i + 1}: {rule}: evidence missing, or of no known kind ({string.Join(", ", RuleNotes.Kinds)}) with a reference");
            }

            int paragraph = i;
            while (paragraph > 0 && lines[paragraph - 1].Trim().Length > 0)
            {
                paragraph--;
            }

            if (!lines[paragraph..i].Any(l => l.TrimStart().StartsWith('#') && !l.Contains("evidence:", StringComparison.Ordinal) && !l.TrimStart().StartsWith("#   ", StringComparison.Ordinal)))
            {
                problems.Add($"{File}:{i + 1}: {rule}: no reason in its comment paragraph");
            }
        }

        Assert.IsEmpty(problems, string.Join("\n", problems));
        foreach (string zone in (string[])["xiaomi.com", "xiaomi.net", "miui.com", "mi.com", "mi-img.com", "duokanbox.com"])
        {
            CollectionAssert.Contains(zones, zone);
        }

        CollectionAssert.DoesNotContain(zones, "xiaomiev.com", "registered by a third party (WIPO D2021-4242)");
        Assert.AreEqual(zones.Count, zones.Distinct().Count());
        string[] nested = [.. zones.Where(z => zones.Any(o => o != z && z.EndsWith("." + o, StringComparison.Ordinal)))];
        Assert.IsEmpty(nested, "a zone under another zone adds nothing: " + string.Join(", ", nested));
    }

    private static string FindZones()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "config", "rules", "xiaomi", "zones.txt");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("config/rules/xiaomi/zones.txt not found above " + AppContext.BaseDirectory);
    }
}
