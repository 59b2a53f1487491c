using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Lists;
using MiSinkhole.Core.Policies;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Configuration;

/// <summary>The whole validated configuration: an immutable snapshot.</summary>
public sealed record SinkholeOptions
{
    public DnsServerOptions Dns { get; init; } = new();

    /// <summary>This daemon's name among instances sharing a database.</summary>
    public InstanceOptions Instance { get; init; } = new();

    /// <summary>Whether the changes users make are shared with other instances.</summary>
    public MiSinkhole.Core.State.StateOptions State { get; init; } = new();

    public UpstreamOptions Upstreams { get; init; } = new();

    /// <summary>What one client may ask: a token bucket and a share of the upstream budget.</summary>
    public MiSinkhole.Core.Stages.RateLimit.RateLimitOptions RateLimit { get; init; } = new();

    public CacheOptions Cache { get; init; } = new();

    public IReadOnlyList<ListOptions> Lists { get; init; } = [];

    /// <summary><c>Lists:DownloadTimeout</c> and <c>Lists:MaxLineLength</c>: how URL sources are downloaded.</summary>
    public ListDownloadOptions ListDownloads { get; init; } = new();

    /// <summary>Which lists are Xiaomi's zones, for unclassified names.</summary>
    public DiscoveryOptions Discovery { get; init; } = new();

    public IReadOnlyList<PolicyOptions> Policies { get; init; } = [];

    public string DefaultPolicy { get; init; } = "default";

    public DevicesOptions Devices { get; init; } = new();

    public HttpOptions Http { get; init; } = new();

    /// <summary>The standard <c>Logging:LogLevel</c> keys.</summary>
    public LoggingOptions Logging { get; init; } = new();

    public QueryLogOptions QueryLog { get; init; } = new() { Path = System.IO.Path.Combine(AppContext.BaseDirectory, "data", "querylog.db") };

    public IReadOnlyDictionary<string, MiSinkhole.Core.Policies.WeeklySchedule> Schedules { get; init; } =
        new Dictionary<string, MiSinkhole.Core.Policies.WeeklySchedule>();

    /// <summary>Folder that relative paths resolve against (the config file's folder).</summary>
    public string BaseDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>Where state is kept (<c>DataDirectory</c>, default <c>data</c> next to the config): downloaded lists in <c>lists/</c>.</summary>
    public string DataDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "data");
}
