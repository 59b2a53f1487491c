using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>
/// Explains the decision for a name: the client is resolved by <see cref="ClientPolicyResolver"/>
/// and the compiled set gives the verdict, exactly as a query from that client gets it now
/// (auto policy, schedules and pauses included); the lines responsible come from an index of the
/// rule lines of each list involved (<see cref="ListLineIndex"/>), built once per list and config
/// snapshot, since the compiled set keeps no rule text: no list is parsed again per request.
/// For the <c>explain</c> verb and <c>/api/explain</c>.
/// </summary>
public sealed partial class RuleExplainer
{
    private readonly Func<ConfigSnapshot> _snapshot;
    private readonly ClientPolicyResolver _resolver;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<ConfigSnapshot, Lazy<ListLineIndex>[]> _indexes = [];

    [ActivatorUtilitiesConstructor]
    public RuleExplainer(ActiveConfig config, ClientPolicyResolver resolver, ILogger<RuleExplainer> logger)
        : this(() => config.Current, resolver, logger)
    {
    }

    public RuleExplainer(Func<ConfigSnapshot> snapshot, ClientPolicyResolver resolver, ILogger? logger = null)
    {
        _snapshot = snapshot;
        _resolver = resolver;
        _logger = logger ?? NullLogger.Instance;
    }
    /// <param name="device">A configured device name, "unknown", <c>clientid:ID</c> (a DoT/DoH client ID), a MAC address, or a client address, resolved as queries from it would be; null: a client that is no device.</param>
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

        var found = new List<MatchedRule>();
        Lazy<ListLineIndex>[] indexes = _indexes.GetValue(snapshot, s => [.. s.Options.Lists.Take(64).Select((list, i) => new Lazy<ListLineIndex>(() => Index(list, i)))]);
        ulong involved = match.Lists | match.Exceptions;
        for (int i = 0; i < indexes.Length; i++)
        {
            if ((involved & (1UL << i)) != 0)
            {
                found.AddRange(indexes[i].Value.Find(normalized, qtype));
            }
        }

        return new Explanation(normalized, type.ToUpperInvariant(), client.Policy.Name, decision.Action,
            decision.ListIndex >= 0 ? snapshot.ListName(decision.ListIndex) : null, found)
        {
            Device = client.DeviceName,
            PolicySource = client.Source,
            PausedUntil = client.PausedUntil,
            Why = ClientPolicyText.Describe(client, _resolver.Time),
            UnclassifiedUnder = snapshot.UnclassifiedZone(match) is int zone and >= 0 ? snapshot.ListName(zone) : null,
            TrustedForwarder = device is not null && System.Net.IPAddress.TryParse(device, out System.Net.IPAddress? asked)
                && options.Devices.TrustedForwarders.Contains(ClientAddress.FromIPAddress(asked)),
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

        if (device.StartsWith(DevicesOptions.ClientIdPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string id = device[DevicesOptions.ClientIdPrefix.Length..].ToLowerInvariant();
            return DevicesOptions.IsClientId(id)
                ? _resolver.Resolve(snapshot, ClientIdentity.None with { ClientId = id }) // as a DoT/DoH client naming itself
                : throw new ArgumentException($"'{device}': a client ID is one DNS label (clientid:kids-tablet)");
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
        throw new ArgumentException($"unknown device '{device}' ({known}; or give a client address, MAC address or clientid:ID)");
    }

    private ListLineIndex Index(MiSinkhole.Core.Lists.ListOptions list, int listIndex)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var index = ListLineIndex.Build(list.Name, list.Sources, listIndex);
        long elapsedMs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogIndexed(list.Name, index.Count, elapsedMs);
        return index;
    }

    [LoggerMessage(EventId = LogEventIds.Explain + 1, Level = LogLevel.Debug, Message = "Explain: indexed the rule lines of list {List} ({Rules} name rules) in {ElapsedMs} ms, for this config snapshot")]
    private partial void LogIndexed(string list, int rules, long elapsedMs);
}
