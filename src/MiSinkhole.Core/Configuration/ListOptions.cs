namespace MiSinkhole.Core.Configuration;

/// <summary>
/// One entry of the <c>Lists</c> section: a named rule list. <see cref="Sources"/> are the files
/// read to build it: local files, and for each URL subscription its last good download.
/// </summary>
public sealed record ListOptions(string Name, IReadOnlyList<string> Sources)
{
    /// <summary>URL sources; each one's cache file is also in <see cref="Sources"/>.</summary>
    public IReadOnlyList<ListSubscription> Subscriptions { get; init; } = [];

    /// <summary>How often URL sources are downloaded again (<c>RefreshInterval</c>, default 24 h).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A disabled list (<c>Enabled: false</c>) is neither downloaded nor applied.</summary>
    public bool Enabled { get; init; } = true;
}
