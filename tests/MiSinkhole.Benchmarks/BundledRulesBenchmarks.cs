using BenchmarkDotNet.Attributes;
using MiSinkhole.Dns;
using MiSinkhole.Rules;
using MiSinkhole.TestKit;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// Rule matching against the shipped rule files (config/rules/xiaomi and bypass), with and without
/// their shape rules (<c>|label.*.zone^</c>): a listed name, a name only a shape catches, an
/// essential Xiaomi name (it walks past the shapes' zones) and a non-Xiaomi miss.
/// </summary>
[MemoryDiagnoser]
public class BundledRulesBenchmarks
{
    private CompiledRuleSet _rules = null!;
    private readonly byte[] _listed = DnsName.FromText("data.mistat.xiaomi.com");
    private readonly byte[] _shaped = DnsName.FromText("sentry.new-service.xiaomi.com");
    private readonly byte[] _essential = DnsName.FromText("update.intl.miui.com");
    private readonly byte[] _miss = DnsName.FromText("www.some-allowed-site.example.org");

    [Params(false, true)]
    public bool Shapes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string rules = Path.Combine(RepositoryPaths.Root, "config", "rules");
        string[] files = [.. Directory.GetFiles(rules, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
        var builder = new RuleSetBuilder([.. files.Select(Path.GetFileNameWithoutExtension)!]);
        var errors = new List<RuleListError>();
        for (int i = 0; i < files.Length; i++)
        {
            IEnumerable<string> lines = File.ReadLines(files[i]).Where(l => Shapes || !l.Contains(".*.", StringComparison.Ordinal));
            RuleListParser.Parse(new StringReader(string.Join('\n', lines)), files[i], builder, i, errors);
        }

        _rules = builder.Build();
        if (errors.Count > 0 || _rules.ShapeCount > 0 != Shapes)
        {
            throw new InvalidOperationException("the bundled rules did not load as expected: " + string.Join("; ", errors));
        }
    }

    [Benchmark]
    public bool MatchListedName() => _rules.Match(_listed).IsMatch;

    [Benchmark]
    public bool MatchShapedName() => _rules.Match(_shaped).IsMatch;

    [Benchmark]
    public bool MatchEssentialName() => _rules.Match(_essential).IsMatch;

    [Benchmark]
    public bool MatchUnlistedName() => _rules.Match(_miss).IsMatch;
}
