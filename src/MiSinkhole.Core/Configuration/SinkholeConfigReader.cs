using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Lists;
using MiSinkhole.Core.Policies;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// Reads <see cref="SinkholeOptions"/> from configuration (JSON file, environment, command line)
/// and collects every problem with its key instead of stopping at the first. It only hands the
/// sections out, in the order their checks need (lists before the policies that name them,
/// policies before the devices that use them): each owner reads its own with its
/// <see cref="SectionKeys{T}"/> table, which also names its keys for the unknown-key check and
/// says which need a restart. Unknown keys are errors, so a typo never silently does nothing.
/// </summary>
public static class SinkholeConfigReader
{
    private const int MaxLists = MiSinkhole.Rules.RuleSetBuilder.MaxLists;

    /// <summary>The top-level keys, in reading order.</summary>
    private static readonly SectionKeys<SinkholeOptions> Root = new()
    {
        { "DataDirectory", (s, o) => o with { DataDirectory = s.DataDirectory }, true },
        { "Instance", (s, o) => o with { Instance = InstanceOptions.Keys.Read(s.Section("Instance"), new InstanceOptions()) }, true },
        { "Lists", (s, o) => o with { ListDownloads = ListDownloadOptions.Keys.Read(s.Section("Lists"), new ListDownloadOptions()), Lists = ReadLists(s.Section("Lists")) } },
        { "Discovery", (s, o) => o with { Discovery = DiscoveryOptions.Keys(o.Lists).Read(s.Section("Discovery"), new DiscoveryOptions()) } },
        { "Schedules", (s, o) => o with { Schedules = ReadSchedules(s.Section("Schedules")) } },
        { "Policies", (s, o) => o with { Policies = [.. s.Section("Policies").Children().Select(p => PolicyOptions.Keys(o.Lists, o.Schedules, o.Discovery.Zones).Read(p, new PolicyOptions { Name = p.Key }))] } },
        { "DefaultPolicy", ReadDefaultPolicy },
        { "Devices", (s, o) => o with { Devices = DevicesOptions.Keys(o.Policies, o.DefaultPolicy).Read(s.Section("Devices"), new DevicesOptions()) } },
        { "Dns", (s, o) => o with { Dns = DnsServerOptions.Keys.Read(s.Section("Dns"), new DnsServerOptions()) }, true },
        { "RateLimit", (s, o) => o with { RateLimit = MiSinkhole.Core.Stages.RateLimit.RateLimitOptions.Keys.Read(s.Section("RateLimit"), new()) }, true },
        { "Upstreams", (s, o) => o with { Upstreams = UpstreamOptions.Keys.Read(s.Section("Upstreams"), new UpstreamOptions()) }, true },
        { "Cache", (s, o) => o with { Cache = CacheOptions.Keys.Read(s.Section("Cache"), new CacheOptions()) }, true },
        { "Http", (s, o) => o with { Http = HttpOptions.Keys.Read(s.Section("Http"), new HttpOptions()) }, true },
        { "State", (s, o) => o with { State = MiSinkhole.Core.State.StateOptions.Keys.Read(s.Section("State"), new MiSinkhole.Core.State.StateOptions()) }, true },
        { "QueryLog", (s, o) => o with { QueryLog = QueryLogOptions.Keys.Read(s.Section("QueryLog"), new QueryLogOptions { Path = Path.Combine(s.DataDirectory, "querylog.db") }) }, true },
        { "Logging", (s, o) => o with { Logging = LoggingOptions.Keys.Read(s.Section("Logging"), new LoggingOptions()) }, true },
    };

    /// <summary>
    /// The keys ("Dns", "Devices:LeaseFiles" …) whose changes take effect only at the next start,
    /// as their owners declare them: a reload reports them instead of applying them.
    /// </summary>
    public static IReadOnlyList<string> RestartKeys { get; } =
        [.. Root.RestartKeys, .. DevicesOptions.Keys([], "").RestartKeys.Select(k => "Devices:" + k)];

    public static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(IConfiguration configuration, string baseDirectory)
    {
        var errors = new List<ConfigError>();
        string dataDirectory = Path.GetFullPath(Path.Combine(baseDirectory, configuration["DataDirectory"] ?? "data"));
        var root = new ConfigSection(configuration, errors, baseDirectory, dataDirectory);
        SinkholeOptions options = Root.Read(root, new SinkholeOptions { BaseDirectory = baseDirectory });
        return (options, errors);
    }

    private static List<ListOptions> ReadLists(ConfigSection section)
    {
        List<ListOptions> lists = [.. section.Children().Where(c => !ListDownloadOptions.IsSetting(c.Key)).Select(list => ListOptions.Keys.Read(list, new ListOptions(list.Key, [])))];
        if (lists.Count > MaxLists)
        {
            section.Error("", $"at most {MaxLists} lists are supported, got {lists.Count}");
        }

        return lists;
    }

    /// <summary>Weekly windows per schedule name: <c>Schedules:nights = ["Mon-Fri 21:00-07:00"]</c>.</summary>
    private static Dictionary<string, WeeklySchedule> ReadSchedules(ConfigSection section)
    {
        var schedules = new Dictionary<string, WeeklySchedule>(StringComparer.OrdinalIgnoreCase);
        foreach (ConfigSection schedule in section.Children())
        {
            if (WeeklySchedule.TryParse([.. schedule.Items().Select(w => w.Value)], out WeeklySchedule? parsed, out string? error))
            {
                schedules[schedule.Key] = parsed;
            }
            else
            {
                schedule.Error("", error + " (e.g. [\"Mon-Fri 21:00-07:00\", \"Sat,Sun 22:30-09:00\"])");
            }
        }

        return schedules;
    }

    /// <summary>The policy of clients that are no device; without any policies, one that blocks every list.</summary>
    private static SinkholeOptions ReadDefaultPolicy(ConfigSection root, SinkholeOptions options)
    {
        IReadOnlyList<PolicyOptions> policies = options.Policies;
        string defaultPolicy = root["DefaultPolicy"] ?? (policies.Count > 0 ? policies[0].Name : "default");
        if (policies.Count == 0)
        {
            // Without policies every list blocks (but zone lists, which never do): the simplest useful sinkhole.
            policies = [new PolicyOptions { Name = defaultPolicy, Block = [.. options.Lists.Select(l => l.Name).Where(l => !DiscoveryOptions.IsZoneList(options.Discovery.Zones, l))] }];
        }
        else if (!policies.Any(p => p.Name.Equals(defaultPolicy, StringComparison.OrdinalIgnoreCase)))
        {
            root.Error("DefaultPolicy", $"unknown policy '{defaultPolicy}' (have: {string.Join(", ", policies.Select(p => p.Name))})");
        }

        CheckOtherwise(root.Section("Policies"), policies);
        return options with { Policies = policies, DefaultPolicy = defaultPolicy };
    }

    /// <summary>Each <c>Otherwise</c> names a policy, and following them never comes back round.</summary>
    private static void CheckOtherwise(ConfigSection section, IReadOnlyList<PolicyOptions> policies)
    {
        var byName = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (PolicyOptions policy in policies.Where(p => p.Otherwise is not null))
        {
            string key = $"{policy.Name}:Otherwise";
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { policy.Name };
            for (PolicyOptions? next = policy; next?.Otherwise is string other; next = byName.GetValueOrDefault(other))
            {
                if (!byName.ContainsKey(other))
                {
                    section.Error(key, $"unknown policy '{other}' (have: {string.Join(", ", byName.Keys)})");
                    break;
                }

                if (!seen.Add(other))
                {
                    section.Error(key, $"'{policy.Name}' comes back to '{other}' through Otherwise: a loop");
                    break;
                }
            }
        }
    }
}
