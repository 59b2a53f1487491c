namespace MiSinkhole.Core.Configuration;

/// <summary>The whole validated configuration: an immutable snapshot.</summary>
public sealed record SinkholeOptions
{
    public DnsServerOptions Dns { get; init; } = new();

    public UpstreamOptions Upstreams { get; init; } = new();

    public CacheOptions Cache { get; init; } = new();

    public IReadOnlyList<ListOptions> Lists { get; init; } = [];

    public IReadOnlyList<PolicyOptions> Policies { get; init; } = [];

    public string DefaultPolicy { get; init; } = "default";

    /// <summary>Folder that relative paths resolve against (the config file's folder).</summary>
    public string BaseDirectory { get; init; } = AppContext.BaseDirectory;
}
