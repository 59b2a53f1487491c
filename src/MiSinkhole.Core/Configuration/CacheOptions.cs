namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Cache</c> section.</summary>
public sealed record CacheOptions
{
    public int MaxEntries { get; init; } = 100_000;

    public TimeSpan MinTtl { get; init; } = TimeSpan.Zero;

    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);
}
