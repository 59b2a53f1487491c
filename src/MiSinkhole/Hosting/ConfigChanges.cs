namespace MiSinkhole.Hosting;

/// <summary>
/// What a reload changed, in words, from the fingerprints of two configs (<see cref="LoadedConfig.Fingerprints"/>):
/// <c>Lists: added hagezi, changed xiaomi-ads; Devices: removed old-phone; DefaultPolicy changed</c>.
/// Sections are named with their entries (lists, policies, devices, schedules, settings); a
/// section that holds only values is named alone.
/// </summary>
public static class ConfigChanges
{
    public static IReadOnlyList<string> Describe(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var changes = new List<string>();
        IEnumerable<string> sections = before.Keys.Concat(after.Keys).Where(k => !k.Contains(':', StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        foreach (string section in sections)
        {
            string? old = before.GetValueOrDefault(section);
            string? now = after.GetValueOrDefault(section);
            if (old == now)
            {
                continue;
            }

            if (old is null || now is null)
            {
                changes.Add($"{section} {(old is null ? "added" : "removed")}");
                continue;
            }

            string prefix = section + ":";
            List<string> added = [], removed = [], changed = [];
            foreach (string entry in before.Keys.Concat(after.Keys).Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
            {
                string? was = before.GetValueOrDefault(entry);
                string? @is = after.GetValueOrDefault(entry);
                string name = entry[prefix.Length..];
                if (was is null)
                {
                    added.Add(name);
                }
                else if (@is is null)
                {
                    removed.Add(name);
                }
                else if (was != @is)
                {
                    changed.Add(name);
                }
            }

            List<string> parts = [];
            Add(parts, "added", added);
            Add(parts, "removed", removed);
            Add(parts, "changed", changed);
            changes.Add(parts.Count == 0 ? $"{section} changed" : $"{section}: {string.Join(", ", parts)}");
        }

        return changes;
    }

    private static void Add(List<string> parts, string what, List<string> names)
    {
        if (names.Count > 0)
        {
            parts.Add($"{what} {string.Join(", ", names)}");
        }
    }
}
