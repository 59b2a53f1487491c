using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Policies;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The compiled lists, the policies that use them and the devices that use those, as one
/// immutable unit, with the options they were compiled from. The engine swaps a whole snapshot
/// at once, so a query sees either the old config or the new one, never a mix.
/// </summary>
public sealed class ConfigSnapshot
{
    public ConfigSnapshot(CompiledRuleSet rules, IReadOnlyDictionary<string, CompiledPolicy> policies, CompiledPolicy defaultPolicy,
        DeviceTable? devices = null, SinkholeOptions? options = null)
    {
        Rules = rules;
        Policies = policies;
        DefaultPolicy = defaultPolicy;
        Devices = devices ?? DeviceTable.Empty;
        Options = options ?? new SinkholeOptions();
        ListNamesUtf8 = [.. rules.ListNames.Select(Encoding.UTF8.GetBytes)];
        ListBlockResponses = [.. rules.ListNames.Select(n => Options.Lists.FirstOrDefault(l => l.Name == n)?.BlockResponse)];
        AutoPolicy = Options.Devices.AutoPolicy is string auto ? policies.GetValueOrDefault(auto) : null;
        for (int i = 0; i < rules.ListNames.Count; i++)
        {
            if (Discovery.DiscoveryOptions.IsZoneList(Options.Discovery.ActiveZones, rules.ListNames[i]))
            {
                ZoneMask |= 1UL << i;
            }
        }
    }

    /// <summary>The lists of Xiaomi's zones (bit i = list i) while discovery is on; 0: off.</summary>
    public ulong ZoneMask { get; }

    public DeviceTable Devices { get; }

    /// <summary>Rules read per list (by list index), for metrics; empty for hand-made snapshots.</summary>
    public IReadOnlyList<int> ListRuleCounts { get; init; } = [];

    /// <summary>When the snapshot was compiled.</summary>
    public DateTimeOffset CompiledAt { get; init; }

    /// <summary>The configuration this snapshot was compiled from.</summary>
    public SinkholeOptions Options { get; }

    public CompiledRuleSet Rules { get; }

    public IReadOnlyDictionary<string, CompiledPolicy> Policies { get; }

    /// <summary>The policy of every client that matches no device.</summary>
    public CompiledPolicy DefaultPolicy { get; }

    /// <summary>The policy of clients flagged as Xiaomi devices that are no configured device (<c>Devices:AutoPolicy</c>); null: off.</summary>
    public CompiledPolicy? AutoPolicy { get; }

    /// <summary>List names as UTF-8, the extra text of an Extended DNS Error "Blocked".</summary>
    public byte[][] ListNamesUtf8 { get; }

    /// <summary>Per list (by index), the answer its blocked names get whatever the policy says; null: the policy's.</summary>
    public MiSinkhole.Dns.BlockResponseMode?[] ListBlockResponses { get; }

    public string ListName(int index) => Rules.ListNames[index];

    /// <summary>
    /// For a name's rule match: the zone list under which it is an unclassified Xiaomi name (a
    /// zone list matches and no other list does, of any kind: block, log, allow, extended,
    /// bypass, local decisions, exceptions), or -1. A few AND operations, for every query.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int UnclassifiedZone(in RuleMatch match)
    {
        ulong zones = match.Lists & ZoneMask;
        return zones != 0 && ((match.Lists | match.Exceptions) & ~ZoneMask) == 0 ? BitOperations.TrailingZeroCount(zones) : -1;
    }

    /// <summary>Whether <paramref name="name"/> (dotted) is an unclassified Xiaomi name under these rules. Allocates nothing; not for the query path.</summary>
    public bool IsUnclassified(string name) => UnclassifiedZone(Rules.Match(name)) >= 0;

    /// <summary>
    /// The text of the rule of <paramref name="list"/> that covers the name (for records of what
    /// was blocked or logged), a note when the list matched a CNAME target of the answer instead,
    /// or null for a list this snapshot does not have. Allocates: not for answering queries.
    /// </summary>
    public string? RuleText(ReadOnlySpan<byte> lowerWireName, ushort type, string list)
    {
        for (int i = 0; i < Rules.ListNames.Count; i++)
        {
            if (ReferenceEquals(Rules.ListNames[i], list) || Rules.ListNames[i] == list)
            {
                return Rules.RuleFor(lowerWireName, type, i) ?? "(a CNAME target of the answer)";
            }
        }

        return null;
    }
}
