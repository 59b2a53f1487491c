using System.Net;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Schedules</c> and <c>Policies</c> sections: which lists block, log or allow, when, and how blocks answer.</summary>
public sealed partial class SinkholeConfigReader
{
    private Dictionary<string, WeeklySchedule> ReadSchedules(IConfigurationSection section)
    {
        var schedules = new Dictionary<string, WeeklySchedule>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection schedule in section.GetChildren())
        {
            List<(string Key, string Value)> windows = Items(schedule);
            if (WeeklySchedule.TryParse([.. windows.Select(w => w.Value)], out WeeklySchedule? parsed, out string? error))
            {
                schedules[schedule.Key] = parsed;
            }
            else
            {
                Error(schedule.Path, error + " (e.g. [\"Mon-Fri 21:00-07:00\", \"Sat,Sun 22:30-09:00\"])");
            }
        }

        return schedules;
    }

    private List<PolicyOptions> ReadPolicies(IConfigurationSection section, IReadOnlyList<ListOptions> lists, IReadOnlyDictionary<string, WeeklySchedule> schedules)
    {
        var policies = new List<PolicyOptions>();
        foreach (IConfigurationSection policy in section.GetChildren())
        {
            CheckKeys(policy, "Block", "Log", "Allow", "BlockResponse", "BlockTtl", "Schedule", "Otherwise");
            (BlockResponseMode mode, List<IPAddress> addresses) = ReadBlockResponse(policy);
            string? schedule = policy["Schedule"];
            if (schedule is not null && !schedules.ContainsKey(schedule))
            {
                Error(policy.Path + ":Schedule", $"no schedule named '{schedule}' (have: {string.Join(", ", schedules.Keys)})");
            }

            if (policy["Otherwise"] is not null && schedule is null)
            {
                Error(policy.Path + ":Otherwise", "Otherwise needs a Schedule: it is the policy outside the schedule's windows");
            }

            TimeSpan ttl = Duration(policy, "BlockTtl", TimeSpan.FromSeconds(60));
            policies.Add(new PolicyOptions
            {
                Name = policy.Key,
                Block = ListRefs(policy.GetSection("Block"), lists),
                Log = ListRefs(policy.GetSection("Log"), lists),
                Allow = ListRefs(policy.GetSection("Allow"), lists),
                BlockResponse = mode,
                BlockAddresses = addresses,
                BlockTtl = ttl,
                Schedule = schedule,
                Otherwise = policy["Otherwise"],
            });
        }

        CheckOtherwise(section, policies);
        return policies;
    }

    /// <summary>Each <c>Otherwise</c> names a policy, and following them never comes back round.</summary>
    private void CheckOtherwise(IConfigurationSection section, List<PolicyOptions> policies)
    {
        var byName = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (PolicyOptions policy in policies.Where(p => p.Otherwise is not null))
        {
            string key = $"{section.Path}:{policy.Name}:Otherwise";
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { policy.Name };
            for (PolicyOptions? next = policy; next?.Otherwise is string other; next = byName.GetValueOrDefault(other))
            {
                if (!byName.ContainsKey(other))
                {
                    Error(key, $"unknown policy '{other}' (have: {string.Join(", ", byName.Keys)})");
                    break;
                }

                if (!seen.Add(other))
                {
                    Error(key, $"'{policy.Name}' comes back to '{other}' through Otherwise: a loop");
                    break;
                }
            }
        }
    }

    /// <summary>
    /// <c>NullIp</c>, <c>NxDomain</c>, <c>NoData</c>, <c>Refused</c>, or addresses ("192.168.1.10, fd00::10"
    /// or a JSON array) that blocked A and AAAA queries get instead.
    /// </summary>
    private (BlockResponseMode Mode, List<IPAddress> Addresses) ReadBlockResponse(IConfigurationSection policy)
    {
        string key = policy.Path + ":BlockResponse";
        List<(string Key, string Value)> items = Items(policy.GetSection("BlockResponse"));
        if (items.Count == 0)
        {
            return (BlockResponseMode.NullIp, []);
        }

        if (items.Count == 1 && !items[0].Value.Contains('.', StringComparison.Ordinal) && !items[0].Value.Contains(':', StringComparison.Ordinal))
        {
            if (!Enum.TryParse(items[0].Value, ignoreCase: true, out BlockResponseMode mode) || mode == BlockResponseMode.CustomAddresses)
            {
                Error(key, $"'{items[0].Value}' is not NullIp, NxDomain, NoData, Refused or a list of addresses");
            }

            return (mode, []);
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
                    Error(itemKey, $"'{part}' is not an IP address");
                }
            }
        }

        if (addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) > DnsResponseWriter.MaxCustomAddresses
            || addresses.Count(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) > DnsResponseWriter.MaxCustomAddresses)
        {
            Error(key, $"at most {DnsResponseWriter.MaxCustomAddresses} addresses per family");
        }

        return (BlockResponseMode.CustomAddresses, addresses);
    }

    /// <summary>List names, with <c>*</c> globs ("xiaomi-*") expanded against the configured lists.</summary>
    private List<string> ListRefs(IConfigurationSection section, IReadOnlyList<ListOptions> lists)
    {
        var names = new List<string>();
        foreach ((string key, string value) in Items(section))
        {
            var matches = lists.Where(l => GlobMatches(value, l.Name)).Select(l => l.Name).ToList();
            if (matches.Count == 0)
            {
                Error(key, $"no list named '{value}' (have: {string.Join(", ", lists.Select(l => l.Name))})");
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
