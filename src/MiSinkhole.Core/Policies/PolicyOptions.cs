using System.Net;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Lists;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Policies;

/// <summary>One entry of the <c>Policies</c> section: which lists block, log or allow, when, and how blocks answer.</summary>
public sealed record PolicyOptions
{
    public required string Name { get; init; }

    public IReadOnlyList<string> Block { get; init; } = [];

    public IReadOnlyList<string> Log { get; init; } = [];

    public IReadOnlyList<string> Allow { get; init; } = [];

    public BlockResponseMode BlockResponse { get; init; } = BlockResponseMode.NullIp;

    /// <summary>For <see cref="BlockResponseMode.CustomAddresses"/>: the addresses blocked A/AAAA queries get.</summary>
    public IReadOnlyList<IPAddress> BlockAddresses { get; init; } = [];

    public TimeSpan BlockTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The schedule (name in <c>Schedules</c>) during which this policy applies; null: always.</summary>
    public string? Schedule { get; init; }

    /// <summary>The policy that applies outside <see cref="Schedule"/>; null: none (nothing blocked or logged).</summary>
    public string? Otherwise { get; init; }

    /// <summary>
    /// The keys of one policy, checked against the configured lists and schedules; policies apply
    /// on reload. <paramref name="zones"/> (<c>Discovery:Zones</c>) are no lists a policy may use.
    /// </summary>
    public static SectionKeys<PolicyOptions> Keys(IReadOnlyList<ListOptions> lists, IReadOnlyDictionary<string, WeeklySchedule> schedules, IReadOnlyList<string>? zones = null) => new()
    {
        { "Block", (s, o) => o with { Block = ListRefs(s, "Block", lists, zones ?? []) } },
        { "Log", (s, o) => o with { Log = ListRefs(s, "Log", lists, zones ?? []) } },
        { "Allow", (s, o) => o with { Allow = ListRefs(s, "Allow", lists, zones ?? []) } },
        { "BlockResponse", ReadBlockResponse },
        { "BlockTtl", (s, o) => o with { BlockTtl = s.Duration("BlockTtl", o.BlockTtl) } },
        { "Schedule", (s, o) => o with { Schedule = ReadSchedule(s, schedules) } },
        { "Otherwise", ReadOtherwise },
    };

    private static string? ReadSchedule(ConfigSection policy, IReadOnlyDictionary<string, WeeklySchedule> schedules)
    {
        string? schedule = policy["Schedule"];
        if (schedule is not null && !schedules.ContainsKey(schedule))
        {
            policy.Error("Schedule", $"no schedule named '{schedule}' (have: {string.Join(", ", schedules.Keys)})");
        }

        return schedule;
    }

    private static PolicyOptions ReadOtherwise(ConfigSection policy, PolicyOptions options)
    {
        if (policy["Otherwise"] is not null && policy["Schedule"] is null)
        {
            policy.Error("Otherwise", "Otherwise needs a Schedule: it is the policy outside the schedule's windows");
        }

        return options with { Otherwise = policy["Otherwise"] };
    }

    /// <summary>
    /// <c>NullIp</c>, <c>NxDomain</c>, <c>NoData</c>, <c>Refused</c>, or addresses ("192.168.1.10, fd00::10"
    /// or a JSON array) that blocked A and AAAA queries get instead.
    /// </summary>
    private static PolicyOptions ReadBlockResponse(ConfigSection policy, PolicyOptions options)
    {
        List<(string Key, string Value)> items = policy.Items("BlockResponse");
        if (items.Count == 0)
        {
            return options;
        }

        if (items.Count == 1 && !items[0].Value.Contains('.', StringComparison.Ordinal) && !items[0].Value.Contains(':', StringComparison.Ordinal))
        {
            if (!Enum.TryParse(items[0].Value, ignoreCase: true, out BlockResponseMode mode) || mode == BlockResponseMode.CustomAddresses)
            {
                policy.Error("BlockResponse", $"'{items[0].Value}' is not NullIp, NxDomain, NoData, Refused or a list of addresses");
            }

            return options with { BlockResponse = mode };
        }

        var addresses = new List<IPAddress>();
        foreach ((string itemKey, string value) in items)
        {
            foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (IPAddress.TryParse(part, out IPAddress? address))
                {
                    addresses.Add(address);
                }
                else
                {
                    policy.Error(itemKey, $"'{part}' is not an IP address");
                }
            }
        }

        if (addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) > DnsResponseWriter.MaxCustomAddresses
            || addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) > DnsResponseWriter.MaxCustomAddresses)
        {
            policy.Error("BlockResponse", $"at most {DnsResponseWriter.MaxCustomAddresses} addresses per family");
        }

        return options with { BlockResponse = BlockResponseMode.CustomAddresses, BlockAddresses = addresses };
    }

    /// <summary>
    /// List names, with <c>*</c> globs ("xiaomi-*") expanded against the configured lists. A zone
    /// list is an error by name and skipped by a glob: it only finds unclassified names.
    /// </summary>
    private static List<string> ListRefs(ConfigSection policy, string key, IReadOnlyList<ListOptions> lists, IReadOnlyList<string> zones)
    {
        var names = new List<string>();
        foreach ((string itemKey, string value) in policy.Items(key))
        {
            if (DiscoveryOptions.IsZoneList(zones, value))
            {
                policy.Error(itemKey, $"'{value}' is a list of Xiaomi's zones (Discovery:Zones): it finds unclassified names and never blocks, logs or allows");
                continue;
            }

            var matches = lists.Where(l => GlobMatches(value, l.Name) && !DiscoveryOptions.IsZoneList(zones, l.Name)).Select(l => l.Name).ToList();
            if (matches.Count == 0)
            {
                policy.Error(itemKey, $"no list named '{value}' (have: {string.Join(", ", lists.Select(l => l.Name))})");
            }

            names.AddRange(matches.Where(m => !names.Contains(m)));
        }

        return names;
    }

    private static bool GlobMatches(string pattern, string name)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return pattern.Equals(name, StringComparison.OrdinalIgnoreCase);
        }

        string regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }
}
