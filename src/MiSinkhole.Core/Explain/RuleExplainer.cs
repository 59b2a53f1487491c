using System.Text.RegularExpressions;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>
/// Explains the decision for a name: the client is resolved by <see cref="ClientPolicyResolver"/>
/// and the compiled set gives the verdict, exactly as a query from that client gets it now
/// (auto policy, schedules and pauses included); then the sources of the lists involved are read
/// again to find the lines responsible, since the compiled set keeps no rule text. For the
/// <c>explain</c> verb and <c>/api/explain</c>.
/// </summary>
public sealed class RuleExplainer
{
    private readonly Func<ConfigSnapshot> _snapshot;
    private readonly ClientPolicyResolver _resolver;

    public RuleExplainer(ActiveConfig config, ClientPolicyResolver resolver)
        : this(() => config.Current, resolver)
    {
    }

    public RuleExplainer(Func<ConfigSnapshot> snapshot, ClientPolicyResolver resolver)
    {
        _snapshot = snapshot;
        _resolver = resolver;
    }

    /// <param name="device">A configured device name, "unknown", a MAC address, or a client address, resolved as queries from it would be; null: a client that is no device.</param>
    /// <exception cref="ArgumentException">The name, type or device is not valid.</exception>
    public Explanation Explain(string name, string type = "A", string? device = null)
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
        ConfigSnapshot snapshot = _snapshot();
        SinkholeOptions options = snapshot.Options;
        ClientPolicy client = Client(snapshot, device);
        RuleMatch match = snapshot.Rules.Match(DnsName.FromText(normalized), qtype);
        PolicyDecision decision = client.Decide(match);

        var sink = new Sink(normalized, qtype);
        ulong involved = match.Lists | match.Exceptions;
        for (int i = 0; i < options.Lists.Count && i < 64; i++)
        {
            if ((involved & (1UL << i)) == 0)
            {
                continue;
            }

            foreach (string source in options.Lists[i].Sources.Where(File.Exists))
            {
                sink.Begin(options.Lists[i].Name, source);
                using var reader = new StreamReader(source);
                RuleListParser.Parse(reader, source, sink, i, new List<RuleListError>());
            }
        }

        return new Explanation(normalized, type.ToUpperInvariant(), client.Policy.Name, decision.Action,
            decision.ListIndex >= 0 ? snapshot.ListName(decision.ListIndex) : null, sink.Found)
        {
            Device = client.DeviceName,
            PolicySource = client.Source,
            PausedUntil = client.PausedUntil,
            Why = ClientPolicyText.Describe(client, _resolver.Time),
            UnclassifiedUnder = snapshot.UnclassifiedZone(match) is int zone and >= 0 ? snapshot.ListName(zone) : null,
        };
    }

    private ClientPolicy Client(ConfigSnapshot snapshot, string? device)
    {
        if (device is null || device.Equals(ClientPolicy.UnknownDevice, StringComparison.OrdinalIgnoreCase))
        {
            return _resolver.Resolve(snapshot, ClientIdentity.None);
        }

        if (snapshot.Devices.Find(device) is ConfiguredDevice named)
        {
            return _resolver.ForDevice(named);
        }

        if (MacAddress.TryParse(device, out MacAddress mac))
        {
            return _resolver.Resolve(snapshot, ClientIdentity.FromMac(mac));
        }

        if (System.Net.IPAddress.TryParse(device, out System.Net.IPAddress? address))
        {
            return _resolver.Resolve(snapshot, ClientIdentity.FromAddress(ClientAddress.FromIPAddress(address)));
        }

        string known = snapshot.Devices.Devices.Count == 0 ? "no devices are configured" : "have: " + string.Join(", ", snapshot.Devices.Devices.Select(d => d.Name));
        throw new ArgumentException($"unknown device '{device}' ({known}; or give a client address or MAC address)");
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
            RuleNotes notes = RuleNotes.Of(_lines, line);
            Found.Add(new MatchedRule(_list, _source, line, text, rule.Scope, rule.IsException, rule.IsImportant) { Evidence = notes.Evidence, Breaks = notes.Breaks });
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
