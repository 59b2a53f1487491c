using Microsoft.Extensions.Logging;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The standard <c>Logging:LogLevel</c> section of .NET: the minimum level per log category
/// (<c>Default</c> for all, or a category prefix such as <c>MiSinkhole.Core.Lists</c>).
/// </summary>
public sealed record LoggingOptions
{
    /// <summary>The <c>Default</c> entry, if given.</summary>
    public LogLevel? Default { get; init; }

    /// <summary>Category prefix → minimum level, in the order given (without <c>Default</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, LogLevel>> Categories { get; init; } = [];

    private static readonly string[] LevelNames = [.. Enum.GetNames<LogLevel>()];

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<LoggingOptions> Keys { get; } = new(restart: true)
    {
        { "LogLevel", ReadLogLevels },
    };

    private static LoggingOptions ReadLogLevels(ConfigSection section, LoggingOptions options)
    {
        LogLevel? fallback = null;
        var categories = new List<KeyValuePair<string, LogLevel>>();
        foreach (ConfigSection entry in section.Section("LogLevel").Children())
        {
            // Names only: Enum.TryParse would also take "2" or "Information, Error".
            string? text = entry.Value?.Trim();
            string? name = LevelNames.FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                entry.Error("", $"'{entry.Value}' is not a log level ({string.Join(", ", LevelNames)})");
                continue;
            }

            LogLevel level = Enum.Parse<LogLevel>(name);
            if (entry.Key.Equals("Default", StringComparison.OrdinalIgnoreCase))
            {
                fallback = level;
            }
            else
            {
                categories.Add(new KeyValuePair<string, LogLevel>(entry.Key, level));
            }
        }

        return options with { Default = fallback, Categories = categories };
    }
}
