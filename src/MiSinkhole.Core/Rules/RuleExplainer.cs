using System.Text.RegularExpressions;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Rules;

/// <summary>
/// Explains the decision for a name: the compiled set gives the verdict (exactly as queries get
/// it), then the sources of the lists involved are read again to find the lines responsible,
/// since the compiled set keeps no rule text. For the <c>explain</c> verb and, later, the HTTP API.
/// </summary>
public sealed class RuleExplainer
{
    private readonly Func<RulesSnapshot> _snapshot;
    private readonly SinkholeOptions _options;

    public RuleExplainer(RuleEngine engine, SinkholeOptions options)
        : this(() => engine.Current, options)
    {
    }

    public RuleExplainer(Func<RulesSnapshot> snapshot, SinkholeOptions options)
    {
        _snapshot = snapshot;
        _options = options;
    }

    /// <exception cref="ArgumentException">The name or type is not valid.</exception>
    public Explanation Explain(string name, string type = "A")
    {
        Span<char> lower = stackalloc char[256];
        string? problem = AdblockRuleParser.NormalizeName(name, lower, out int length);
        if (problem is not null)
        {
            throw new ArgumentException($"'{name}': {problem}");
        }

        if (!DnsRecordType.TryParse(type, out ushort qtype))
        {
            throw new ArgumentException($"'{type}' is not a record type");
        }

        string normalized = lower[..length].ToString();
        RulesSnapshot snapshot = _snapshot();
        CompiledPolicy policy = snapshot.DefaultPolicy;
        RuleMatch match = snapshot.Rules.Match(DnsName.FromText(normalized), qtype);
        PolicyDecision decision = policy.Decide(match);

        var sink = new Sink(normalized, qtype);
        ulong involved = match.Lists | match.Exceptions;
        for (int i = 0; i < _options.Lists.Count && i < 64; i++)
        {
            if ((involved & (1UL << i)) == 0)
            {
                continue;
            }

            foreach (string source in _options.Lists[i].Sources)
            {
                sink.Begin(_options.Lists[i].Name, source);
                using var reader = new StreamReader(source);
                RuleListParser.Parse(reader, source, sink, i, new List<RuleListError>());
            }
        }

        return new Explanation(normalized, type.ToUpperInvariant(), policy.Name, decision.Action,
            decision.ListIndex >= 0 ? snapshot.ListName(decision.ListIndex) : null, sink.Found);
    }

    /// <summary>Collects the rules of one pass that cover the name, with their line text.</summary>
    private sealed class Sink(string name, ushort type) : IRuleSink
    {
        private string _list = "";
        private string _source = "";
        private string[]? _lines;

        public List<MatchedRule> Found { get; } = [];

        public void Begin(string list, string source)
        {
            _list = list;
            _source = source;
            _lines = null;
        }

        public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
        {
            if (rule.IsBadFilter || !Covers(rule, lowerName))
            {
                return;
            }

            _lines ??= File.ReadAllLines(_source);
            string text = line - 1 < _lines.Length ? _lines[line - 1].Trim() : lowerName.ToString();
            Found.Add(new MatchedRule(_list, _source, line, text, rule.Scope, rule.IsException, rule.IsImportant));
        }

        private bool Covers(in AdblockRule rule, ReadOnlySpan<char> ruleName)
        {
            if (rule.Types is not null && !rule.Types.Applies(type))
            {
                return false;
            }

            if (rule.Scope == RuleScope.Pattern)
            {
                return Regex.IsMatch(name, rule.Pattern!, AdblockRuleParser.PatternOptions);
            }

            bool atName = name.AsSpan().SequenceEqual(ruleName);
            bool atParent = name.Length > ruleName.Length && name.AsSpan().EndsWith(ruleName) && name[name.Length - ruleName.Length - 1] == '.';
            return rule.Scope switch
            {
                RuleScope.ExactName => atName,
                RuleScope.SubdomainsOnly => atParent,
                _ => atName || atParent,
            };
        }
    }
}
