using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Lists;

/// <summary>
/// The settings of the <c>Lists</c> section that are about downloads in general
/// (<c>Lists:DownloadTimeout</c>, <c>Lists:MaxLineLength</c>); every other key of the section is a
/// list (<see cref="ListOptions"/>). They apply from the next download, also after a reload.
/// </summary>
public sealed record ListDownloadOptions
{
    /// <summary>The whole download, headers and body, must be done within this; else it fails and the last good copy stays.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longer lines of a download are dropped (counted, and logged with the list) before anything parses them.</summary>
    public int MaxLineLength { get; init; } = 4096;

    /// <summary>The settings; the other keys of <c>Lists</c> are lists, read by <see cref="ListOptions.Keys"/>.</summary>
    public static SectionKeys<ListDownloadOptions> Keys { get; } = new SectionKeys<ListDownloadOptions>
    {
        { "DownloadTimeout", (s, o) => o with { DownloadTimeout = s.Duration("DownloadTimeout", o.DownloadTimeout, TimeSpan.FromSeconds(1), "a download timeout of at least 1s") } },
        { "MaxLineLength", (s, o) => o with { MaxLineLength = s.Integer("MaxLineLength", o.MaxLineLength, 256, 1 << 20) } },
    }.WithEntries((_, o) => o);

    /// <summary>Whether a key of <c>Lists</c> is one of these settings rather than a list.</summary>
    public static bool IsSetting(string key) => Keys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
}
