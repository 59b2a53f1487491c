using BenchmarkDotNet.Attributes;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Benchmarks;

/// <summary>Rule matching against a 1,000,000-name set: a listed name, a subdomain of one, and a miss.</summary>
[MemoryDiagnoser]
public class RuleMatchBenchmarks
{
    private CompiledRuleSet _rules = null!;
    private byte[] _exact = null!;
    private byte[] _subdomain = null!;
    private byte[] _miss = null!;

    [GlobalSetup]
    public void Setup()
    {
        var builder = new RuleSetBuilder(["big"], 1_000_000);
        var random = new Random(42);
        string? sample = null;
        for (int i = 0; i < 1_000_000; i++)
        {
            string name = $"t{random.Next():x}.ads{i % 5000}.example{i % 7}.com";
            builder.Add(name, 0);
            if (i == 500_000)
            {
                sample = name;
            }
        }

        _rules = builder.Build();
        _exact = DnsName.FromText(sample!);
        _subdomain = DnsName.FromText("img.cdn." + sample);
        _miss = DnsName.FromText("www.some-allowed-site.example.org");
    }

    [Benchmark]
    public bool MatchListedName() => _rules.Match(_exact).IsMatch;

    [Benchmark]
    public bool MatchSubdomainOfListedName() => _rules.Match(_subdomain).IsMatch;

    [Benchmark]
    public bool MatchUnlistedName() => _rules.Match(_miss).IsMatch;
}
