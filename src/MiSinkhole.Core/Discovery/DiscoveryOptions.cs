using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Lists;

namespace MiSinkhole.Core.Discovery;

/// <summary>
/// The <c>Discovery</c> section: which lists hold Xiaomi's zones (<c>Zones</c>), so that a name
/// under a zone that no other list decides is recorded as an unclassified Xiaomi name (inventory,
/// metrics, query log, <c>misinkhole review</c>). A zone list never blocks, logs or allows: a
/// policy that names one is a config error, and list globs (<c>xiaomi-*</c>) skip it. Applies on
/// reload (it is compiled into the snapshot).
/// </summary>
public sealed record DiscoveryOptions
{
    /// <summary>Whether unclassified names are recorded; default: whenever <see cref="Zones"/> names a list.</summary>
    public bool Enabled { get; init; }

    /// <summary>The lists whose names are Xiaomi's zones.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];

    /// <summary>The zone lists while discovery is on; empty when it is off.</summary>
    public IReadOnlyList<string> ActiveZones => Enabled ? Zones : [];

    /// <summary>The section's keys, checked against the configured lists.</summary>
    public static SectionKeys<DiscoveryOptions> Keys(IReadOnlyList<ListOptions> lists) => new()
    {
        { "Zones", (s, o) => o with { Zones = ReadZones(s, lists) } },
        { "Enabled", ReadEnabled },
    };

    /// <summary>Whether <paramref name="list"/> is one of <paramref name="zones"/> (list names ignore case).</summary>
    public static bool IsZoneList(IReadOnlyList<string> zones, string list) => zones.Contains(list, StringComparer.OrdinalIgnoreCase);

    private static List<string> ReadZones(ConfigSection section, IReadOnlyList<ListOptions> lists)
    {
        var zones = new List<string>();
        foreach ((string key, string value) in section.Items("Zones"))
        {
            if (lists.FirstOrDefault(l => l.Name.Equals(value, StringComparison.OrdinalIgnoreCase)) is not { } list)
            {
                section.Error(key, $"no list named '{value}' (have: {string.Join(", ", lists.Select(l => l.Name))})");
            }
            else if (!zones.Contains(list.Name))
            {
                zones.Add(list.Name);
            }
        }

        return zones;
    }

    private static DiscoveryOptions ReadEnabled(ConfigSection section, DiscoveryOptions options)
    {
        bool enabled = section.Bool("Enabled", options.Zones.Count > 0);
        if (enabled && options.Zones.Count == 0 && section.Errors.All(e => !e.Key.StartsWith(section.Path + ":Zones", StringComparison.OrdinalIgnoreCase)))
        {
            section.Error("Enabled", "discovery is on, but Discovery:Zones names no list of Xiaomi's zones (e.g. \"Zones\": [ \"xiaomi-zones\" ])");
        }

        return options with { Enabled = enabled };
    }
}
