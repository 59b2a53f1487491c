using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>The <c>Cache</c> section: the answer cache, built once at start.</summary>
public sealed record CacheOptions
{
    public int MaxEntries { get; init; } = 100_000;

    public TimeSpan MinTtl { get; init; } = TimeSpan.Zero;

    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<CacheOptions> Keys { get; } = new(restart: true)
    {
        { "MaxEntries", (s, o) => o with { MaxEntries = s.Integer("MaxEntries", o.MaxEntries, 0, 100_000_000) } },
        { "MinTtl", (s, o) => o with { MinTtl = s.Duration("MinTtl", o.MinTtl) } },
        { "MaxTtl", ReadMaxTtl },
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
