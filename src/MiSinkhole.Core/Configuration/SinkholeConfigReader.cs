using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;
using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// Reads <see cref="SinkholeOptions"/> from configuration (JSON file, environment, command line)
/// and collects every problem with its key instead of stopping at the first. Unknown keys are
/// errors, so a typo never silently does nothing.
/// </summary>
public sealed partial class SinkholeConfigReader
{
    private static readonly string[] TopLevelKeys = ["Dns", "Upstreams", "Cache", "Lists", "Policies", "DefaultPolicy", "DataDirectory", "Devices", "Schedules", "QueryLog", "Http", "Logging"];
    private static readonly string[] ReservedSections = [];

    private const int MaxLists = MiSinkhole.Rules.RuleSetBuilder.MaxLists;

    private readonly List<ConfigError> _errors = [];
    private readonly string _baseDirectory;

    private SinkholeConfigReader(string baseDirectory) => _baseDirectory = baseDirectory;

    public static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(IConfiguration configuration, string baseDirectory)
    {
        var reader = new SinkholeConfigReader(baseDirectory);
        SinkholeOptions options = reader.ReadRoot(configuration);
        return (options, reader._errors);
    }

    private SinkholeOptions ReadRoot(IConfiguration root)
    {
        foreach (IConfigurationSection section in root.GetChildren())
        {
            if (!TopLevelKeys.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
            {
                Error(section.Path, "unknown key");
            }
            else if (ReservedSections.Contains(section.Key, StringComparer.OrdinalIgnoreCase) && section.GetChildren().Any())
            {
                _errors.Add(new ConfigError(section.Path, "not supported by this version yet; ignored") { IsWarning = true });
            }
        }

        string dataDirectory = Path.GetFullPath(Path.Combine(_baseDirectory, root["DataDirectory"] ?? "data"));
        IReadOnlyList<ListOptions> lists = ReadLists(root.GetSection("Lists"), dataDirectory);
        Dictionary<string, WeeklySchedule> schedules = ReadSchedules(root.GetSection("Schedules"));
        List<PolicyOptions> policies = ReadPolicies(root.GetSection("Policies"), lists, schedules);
        string defaultPolicy = root["DefaultPolicy"] ?? (policies.Count > 0 ? policies[0].Name : "default");
        if (policies.Count == 0)
        {
            // Without policies every list blocks: the simplest useful sinkhole.
            policies = [new PolicyOptions { Name = defaultPolicy, Block = [.. lists.Select(l => l.Name)] }];
        }
        else if (!policies.Any(p => p.Name.Equals(defaultPolicy, StringComparison.OrdinalIgnoreCase)))
        {
            Error("DefaultPolicy", $"unknown policy '{defaultPolicy}' (have: {string.Join(", ", policies.Select(p => p.Name))})");
        }

        DevicesOptions devices = ReadDevices(root.GetSection("Devices"), policies, defaultPolicy);
        return new SinkholeOptions
        {
            Dns = ReadDns(root.GetSection("Dns")),
            Upstreams = ReadUpstreams(root.GetSection("Upstreams")),
            Cache = ReadCache(root.GetSection("Cache")),
            Lists = lists,
            Policies = policies,
            DefaultPolicy = defaultPolicy,
            Devices = devices,
            Schedules = schedules,
            Http = ReadHttp(root.GetSection("Http")),
            QueryLog = ReadQueryLog(root.GetSection("QueryLog"), dataDirectory),
            Logging = ReadLogging(root.GetSection("Logging")),
            BaseDirectory = _baseDirectory,
            DataDirectory = dataDirectory,
        };
    }

    private DnsServerOptions ReadDns(IConfigurationSection section)
    {
        var defaults = new DnsServerOptions();
        CheckKeys(section, "Listen", "AllowedClients", "UdpThreads", "MaxInFlight", "TcpIdleTimeout", "TcpMaxConnections", "TcpMaxPipelined");
        var listen = new List<IPEndPoint>();
        foreach ((string key, string value) in Items(section.GetSection("Listen")))
        {
            if (ConfigValue.TryParseEndPoint(value, 53, out IPEndPoint endPoint, allowPortZero: true))
            {
                listen.Add(endPoint);
            }
            else
            {
                Error(key, $"'{value}' is not an address with optional port (e.g. 0.0.0.0:53, [::]:53)");
            }
        }

        var allowed = new List<IpNetwork>();
        List<(string Key, string Value)> allowedItems = Items(section.GetSection("AllowedClients"));
        if (allowedItems.Count == 0)
        {
            allowedItems = [("Dns:AllowedClients", "private")];
        }

        foreach ((string key, string value) in allowedItems)
        {
            if (value.Equals("private", StringComparison.OrdinalIgnoreCase))
            {
                allowed.AddRange(AddressSet.PrivateRanges.Select(r => IpNetwork.TryParse(r, out IpNetwork n) ? n : default));
            }
            else if (value.Equals("any", StringComparison.OrdinalIgnoreCase))
            {
                allowed.Add(new IpNetwork(0, 0, true));
                allowed.Add(new IpNetwork(0, 0, false));
            }
            else if (IpNetwork.TryParse(value, out IpNetwork network))
            {
                allowed.Add(network);
            }
            else
            {
                Error(key, $"'{value}' is not an address, a CIDR range, 'private' or 'any'");
            }
        }

        return new DnsServerOptions
        {
            Listen = listen.Count > 0 ? listen : defaults.Listen,
            AllowedClients = new AddressSet(allowed),
            UdpThreads = Int(section, "UdpThreads", defaults.UdpThreads, 0, 64),
            MaxInFlight = Int(section, "MaxInFlight", defaults.MaxInFlight, 16, 1_000_000),
            TcpIdleTimeout = Duration(section, "TcpIdleTimeout", defaults.TcpIdleTimeout),
            TcpMaxConnections = Int(section, "TcpMaxConnections", defaults.TcpMaxConnections, 1, 100_000),
            TcpMaxPipelined = Int(section, "TcpMaxPipelined", defaults.TcpMaxPipelined, 1, 1000),
        };
    }

    private QueryLogOptions ReadQueryLog(IConfigurationSection section, string dataDirectory)
    {
        CheckKeys(section, "Path", "Record", "AnonymizeClients", "Retention", "FlushInterval", "QueueSize");
        var defaults = new QueryLogOptions { Path = Path.Combine(dataDirectory, "querylog.db") };
        QueryLogRecordMode record = defaults.Record;
        if (section["Record"] is string mode && !Enum.TryParse(mode, ignoreCase: true, out record))
        {
            Error(section.Path + ":Record", $"'{mode}' is not PolicyMatches, All or None");
        }

        bool anonymize = false;
        if (section["AnonymizeClients"] is string anonymizeText && !bool.TryParse(anonymizeText, out anonymize))
        {
            Error(section.Path + ":AnonymizeClients", $"'{anonymizeText}' is not true or false");
        }

        return new QueryLogOptions
        {
            Path = section["Path"] is string path ? Path.GetFullPath(Path.Combine(_baseDirectory, path)) : defaults.Path,
            Record = record,
            AnonymizeClients = anonymize,
            Retention = Duration(section, "Retention", defaults.Retention),
            FlushInterval = Duration(section, "FlushInterval", defaults.FlushInterval) is { TotalMilliseconds: >= 10 } flush ? flush : Invalid(section, "FlushInterval", defaults.FlushInterval, "a flush interval of at least 10ms"),
            QueueSize = Int(section, "QueueSize", defaults.QueueSize, 100, 1_000_000),
        };
    }

    private HttpOptions ReadHttp(IConfigurationSection section)
    {
        CheckKeys(section, "Listen", "ApiToken");
        var defaults = new HttpOptions();
        IPEndPoint? listen = defaults.Listen;
        if (section["Listen"] is string text)
        {
            if (text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Length == 0)
            {
                listen = null;
            }
            else if (!ConfigValue.TryParseEndPoint(text, 9153, out listen, allowPortZero: true))
            {
                Error(section.Path + ":Listen", $"'{text}' is not an address with optional port (e.g. 0.0.0.0:9153, 127.0.0.1:9153) or 'none'");
                listen = defaults.Listen;
            }
        }

        string? token = section["ApiToken"];
        if (token is { Length: < 16 })
        {
            Error(section.Path + ":ApiToken", "an API token needs at least 16 characters");
        }

        return new HttpOptions { Listen = listen, ApiToken = string.IsNullOrEmpty(token) ? null : token };
    }

    private UpstreamOptions ReadUpstreams(IConfigurationSection section)
    {
        var defaults = new UpstreamOptions();
        CheckKeys(section, "Servers", "AttemptTimeout", "Timeout");
        var servers = new List<IPEndPoint>();
        foreach ((string key, string value) in Items(section.GetSection("Servers")))
        {
            if (value.Contains("://", StringComparison.Ordinal))
            {
                Error(key, $"'{value}': only plain DNS upstreams (address or address:port) are supported in this version");
            }
            else if (ConfigValue.TryParseEndPoint(value, 53, out IPEndPoint endPoint))
            {
                servers.Add(endPoint);
            }
            else
            {
                Error(key, $"'{value}' is not an address with optional port (e.g. 9.9.9.9 or 127.0.0.1:5353)");
            }
        }

        return new UpstreamOptions
        {
            Servers = servers.Count > 0 ? servers : defaults.Servers,
            AttemptTimeout = Duration(section, "AttemptTimeout", defaults.AttemptTimeout),
            Timeout = Duration(section, "Timeout", defaults.Timeout),
        };
    }

    private CacheOptions ReadCache(IConfigurationSection section)
    {
        var defaults = new CacheOptions();
        CheckKeys(section, "MaxEntries", "MinTtl", "MaxTtl");
        var options = new CacheOptions
        {
            MaxEntries = Int(section, "MaxEntries", defaults.MaxEntries, 0, 100_000_000),
            MinTtl = Duration(section, "MinTtl", defaults.MinTtl),
            MaxTtl = Duration(section, "MaxTtl", defaults.MaxTtl),
        };
        if (options.MinTtl > options.MaxTtl)
        {
            Error(section.Path + ":MinTtl", "MinTtl is larger than MaxTtl");
        }

        return options;
    }

    private List<ListOptions> ReadLists(IConfigurationSection section, string dataDirectory)
    {
        var lists = new List<ListOptions>();
        foreach (IConfigurationSection list in section.GetChildren())
        {
            CheckKeys(list, "Sources", "RefreshInterval", "Enabled");
            var sources = new List<string>();
            var subscriptions = new List<ListSubscription>();
            foreach ((string key, string value) in Items(list.GetSection("Sources")))
            {
                if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? url))
                    {
                        Error(key, $"'{value}' is not a valid URL");
                        continue;
                    }

                    // One cache file per URL, named after the list and a hash of the URL.
                    string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url.AbsoluteUri)))[..12];
                    string cache = Path.Combine(dataDirectory, "lists", $"{list.Key}-{hash}.txt");
                    subscriptions.Add(new ListSubscription(url, cache));
                    sources.Add(cache);
                    continue;
                }

                string path = Path.GetFullPath(Path.Combine(_baseDirectory, value));
                if (!File.Exists(path))
                {
                    Error(key, $"file not found: {path}");
                    continue;
                }

                sources.Add(path);
            }

            if (sources.Count == 0 && !_errors.Any(e => e.Key.StartsWith(list.Path, StringComparison.Ordinal)))
            {
                Error(list.Path + ":Sources", "a list needs at least one source");
            }

            bool enabled = true;
            if (list["Enabled"] is string enabledText && !bool.TryParse(enabledText, out enabled))
            {
                Error(list.Path + ":Enabled", $"'{enabledText}' is not true or false");
                enabled = true;
            }

            lists.Add(new ListOptions(list.Key, sources)
            {
                Subscriptions = subscriptions,
                RefreshInterval = Duration(list, "RefreshInterval", TimeSpan.FromHours(24)),
                Enabled = enabled,
            });
        }

        if (lists.Count > MaxLists)
        {
            Error(section.Path, $"at most {MaxLists} lists are supported, got {lists.Count}");
        }

        return lists;
    }

    /// <summary>Values of an array section ("Key:0", "Key:1" …), or of a single scalar value.</summary>
    private static List<(string Key, string Value)> Items(IConfigurationSection section)
    {
        if (section.Value is not null)
        {
            return section.Value.Length == 0 ? [] : [(section.Path, section.Value)]; // "" is an empty JSON array
        }

        return [.. section.GetChildren().Where(c => c.Value is not null).Select(c => (c.Path, c.Value!))];
    }

    private void CheckKeys(IConfigurationSection section, params string[] known)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                Error(child.Path, $"unknown key (known: {string.Join(", ", known)})");
            }
        }
    }

    private int Int(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            Error($"{section.Path}:{key}", $"'{text}' is not a whole number from {min} to {max}");
            return fallback;
        }

        return value;
    }

    private TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!ConfigValue.TryParseDuration(text, out TimeSpan value))
        {
            Error($"{section.Path}:{key}", $"'{text}' is not a duration (e.g. 00:00:10, 10s, 500ms)");
            return fallback;
        }

        return value;
    }

    private void Error(string key, string message) => _errors.Add(new ConfigError(key, message));

    private TimeSpan Invalid(IConfigurationSection section, string key, TimeSpan fallback, string needed)
    {
        Error($"{section.Path}:{key}", $"'{section[key]}': {needed} is needed");
        return fallback;
    }
}
