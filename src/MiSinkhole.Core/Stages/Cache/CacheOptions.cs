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

    /// <summary>
    /// Serve-stale (RFC 8767): expired answers are kept up to <see cref="StaleMaxAge"/> and served
    /// (TTL <see cref="StaleTtl"/>, Extended DNS Error 3) when no upstream answers in time.
    /// </summary>
    public bool ServeStale { get; init; } = true;

    /// <summary>The TTL a stale answer is served with (RFC 8767 suggests 30 s).</summary>
    public TimeSpan StaleTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after its expiry an answer may still be served stale (RFC 8767: 1 to 3 days, at most 7).</summary>
    public TimeSpan StaleMaxAge { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Names asked often in the last hour are refreshed in the background shortly before they expire.</summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<CacheOptions> Keys { get; } = new(restart: true)
    {
        { "MaxEntries", (s, o) => o with { MaxEntries = s.Integer("MaxEntries", o.MaxEntries, 0, 100_000_000) } },
        { "MaxBytes", (s, o) => o with { MaxBytes = s.Bytes("MaxBytes", o.MaxBytes, 0, 64L << 30) } },
        { "MinTtl", (s, o) => o with { MinTtl = s.Duration("MinTtl", o.MinTtl) } },
        { "MaxTtl", ReadMaxTtl },
        { "MaxNegativeTtl", (s, o) => o with { MaxNegativeTtl = s.Duration("MaxNegativeTtl", o.MaxNegativeTtl) } },
        { "ServeStale", (s, o) => o with { ServeStale = s.Bool("ServeStale", o.ServeStale) } },
        { "StaleTtl", ReadStaleTtl },
        { "StaleMaxAge", ReadStaleMaxAge },
        { "Prefetch", (s, o) => o with { Prefetch = s.Bool("Prefetch", o.Prefetch) } },
    };

    private static CacheOptions ReadStaleTtl(ConfigSection section, CacheOptions options)
    {
        TimeSpan ttl = section.Duration("StaleTtl", options.StaleTtl, TimeSpan.FromSeconds(1), "at least 1s");
        if (ttl > TimeSpan.FromHours(1))
        {
            section.Error("StaleTtl", "StaleTtl is at most 1h (a stale answer should be asked again soon)");
            return options;
        }

        return options with { StaleTtl = ttl };
    }

    private static CacheOptions ReadStaleMaxAge(ConfigSection section, CacheOptions options)
    {
        TimeSpan age = section.Duration("StaleMaxAge", options.StaleMaxAge, TimeSpan.Zero, "0 or more");
        if (age > TimeSpan.FromDays(7))
        {
            section.Error("StaleMaxAge", "StaleMaxAge is at most 7d (RFC 8767's cap)");
            return options;
        }

        return options with { StaleMaxAge = age };
    }

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
