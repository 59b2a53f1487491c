using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>The <c>Cache</c> section: the answer cache, built once at start.</summary>
public sealed record CacheOptions
{
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>
    /// What the cached answers may take of the managed heap, counted per entry (its wire answer,
    /// name, TTL table and the objects and map slot that hold them); the least recently used go
    /// first when either this or <see cref="MaxEntries"/> is reached. 0 disables the cache.
    /// </summary>
    public long MaxBytes { get; init; } = 32L << 20;

    public TimeSpan MinTtl { get; init; } = TimeSpan.Zero;

    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>NXDOMAIN and NODATA answers are kept (and their TTLs served) at most this long, whatever their SOA says.</summary>
    public TimeSpan MaxNegativeTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<CacheOptions> Keys { get; } = new(restart: true)
    {
        { "MaxEntries", (s, o) => o with { MaxEntries = s.Integer("MaxEntries", o.MaxEntries, 0, 100_000_000) } },
        { "MaxBytes", (s, o) => o with { MaxBytes = s.Bytes("MaxBytes", o.MaxBytes, 0, 64L << 30) } },
        { "MinTtl", (s, o) => o with { MinTtl = s.Duration("MinTtl", o.MinTtl) } },
        { "MaxTtl", ReadMaxTtl },
        { "MaxNegativeTtl", (s, o) => o with { MaxNegativeTtl = s.Duration("MaxNegativeTtl", o.MaxNegativeTtl) } },
    };

    private static CacheOptions ReadMaxTtl(ConfigSection section, CacheOptions options)
    {
        options = options with { MaxTtl = section.Duration("MaxTtl", options.MaxTtl) };
        if (options.MinTtl > options.MaxTtl)
        {
            section.Error("MinTtl", "MinTtl is larger than MaxTtl");
        }

        return options;
    }
}
