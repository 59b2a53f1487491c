using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Explain;
using MiSinkhole.Rules;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Explain;

/// <summary>
/// Explain's index of rule lines: the same lines, text and notes as reading the list would give
/// (every bundled rule, against <see cref="RuleNotes.Of"/>), odd files (BOM, CRLF, hosts lines
/// with several names, no final line break), and built once per list and snapshot, only for the
/// lists an explanation involves.
/// </summary>
[TestClass]
public sealed class ListLineIndexTests
{
    private static readonly string BundledRules = RepositoryPaths.File("config", "rules");

    [TestMethod]
    public void EveryBundledRule_IsFoundAtItsLine_WithItsTextAndTheNotesReadingTheListGives()
    {
        var problems = new List<string>();
        int checkedRules = 0;
        foreach (string file in Directory.GetFiles(BundledRules, "*.txt", SearchOption.AllDirectories))
        {
            string[] lines = File.ReadAllLines(file);
            ListLineIndex index = ListLineIndex.Build("list", [file], 0);
            var names = new Collector();
            using (var reader = new StreamReader(file))
            {
                RuleListParser.Parse(reader, file, names, 0, new List<RuleListError>());
            }

            foreach ((string name, int line, RuleScope scope) in names.Rules)
            {
                string probe = scope == RuleScope.SubdomainsOnly ? "sub." + name : name;
                MatchedRule? found = index.Find(probe, 1).FirstOrDefault(r => r.Line == line);
                RuleNotes expected = RuleNotes.Of(lines, line);
                checkedRules++;
                if (found is null)
                {
                    problems.Add($"{file}:{line}: {name} not found");
                }
                else if (found.Text != lines[line - 1].Trim() || found.Breaks != expected.Breaks || !found.Evidence.SequenceEqual(expected.Evidence) || found.Source != file)
                {
                    problems.Add($"{file}:{line}: '{found.Text}' breaks '{found.Breaks}' evidence {found.Evidence.Count}, expected '{lines[line - 1].Trim()}' '{expected.Breaks}' {expected.Evidence.Count}");
                }
            }
        }

        Assert.IsGreaterThan(300, checkedRules, "the bundled rules are read");
        Assert.IsEmpty(problems, string.Join("\n", problems.Take(20)));
    }

    [TestMethod]
    public void OddFiles_ByteOrderMarkCrLfSeveralNamesAndNoFinalLineBreak_GiveTheRightLines()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "odd.txt");
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "first.example\r\n# evidence: research odd.tsv\r\n0.0.0.0 a.example  b.example\r\n\r\n|exact.example^$dnstype=AAAA\r\n|telemetry.*.example^\r\nlast.example"u8]);
        ListLineIndex index = ListLineIndex.Build("odd", [file], 0);

        MatchedRule first = index.Find("x.first.example", 1).Single();
        MatchedRule[] hosts = [.. index.Find("b.example", 1)];
        MatchedRule shape = index.Find("telemetry.app.example", 1).Single();

        Assert.AreEqual((1, "first.example"), (first.Line, first.Text), "the byte order mark is not part of the first line");
        Assert.AreEqual((3, "0.0.0.0 a.example  b.example"), (hosts.Single().Line, hosts.Single().Text));
        Assert.AreEqual("research", hosts.Single().Evidence.Single().Kind);
        Assert.IsEmpty(index.Find("exact.example", 1), "$dnstype=AAAA: not for A");
        Assert.AreEqual((5, RuleScope.ExactName), (index.Find("exact.example", 28).Single().Line, index.Find("exact.example", 28).Single().Scope));
        Assert.IsEmpty(index.Find("sub.exact.example", 28), "exact: not its subdomains");
        Assert.AreEqual((6, RuleScope.Pattern, "|telemetry.*.example^"), (shape.Line, shape.Scope, shape.Text));
        Assert.AreEqual("last.example", index.Find("last.example", 1).Single().Text);
    }

    [TestMethod]
    public void EachListIsIndexedOncePerSnapshot_AndOnlyWhenAnExplanationInvolvesIt()
    {
        using var dir = new TempDirectory();
        dir.Write("block.txt", "||tracking.example^\nads.example\n");
        dir.Write("other.txt", "unrelated.example\n");
        SinkholeOptions options = new TestConfig().List("block", "block.txt").List("other", "other.txt").Policy("strict", block: ["block", "other"]).Read(dir.Path);
        ConfigSnapshot snapshot = ActiveConfig.Compile(options).Snapshot;
        var logger = new FakeLogger<RuleExplainer>();
        var explainer = new RuleExplainer(() => snapshot, new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(TimeProvider.System, NullLogger<BlockingPause>.Instance), TimeProvider.System), logger);

        Explanation first = explainer.Explain("a.tracking.example");
        Explanation second = explainer.Explain("ads.example");
        Explanation third = explainer.Explain("b.tracking.example");
        string[] afterThree = [.. logger.Collector.GetSnapshot().Select(r => r.Message)];
        snapshot = ActiveConfig.Compile(options).Snapshot; // a reload: a new snapshot gets its own index
        explainer.Explain("c.tracking.example");

        Assert.AreEqual(("||tracking.example^", "ads.example", 1), (first.Rules.Single().Text, second.Rules.Single().Text, third.Rules.Single().Line));
        Assert.HasCount(1, afterThree, string.Join("\n", afterThree));
        StringAssert.Contains(afterThree[0], "indexed the rule lines of list block (2 name rules)");
        Assert.HasCount(2, logger.Collector.GetSnapshot(), "the new snapshot's list is indexed again; 'other' never was");
    }

    private sealed class Collector : IRuleSink
    {
        public List<(string Name, int Line, RuleScope Scope)> Rules { get; } = [];

        public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
        {
            if (rule.Scope != RuleScope.Pattern && rule.Types is null && !rule.IsBadFilter)
            {
                Rules.Add((lowerName.ToString(), line, rule.Scope));
            }
        }
    }
}
