using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Logging</c> section: .NET's standard <c>Logging:LogLevel:&lt;category&gt;</c> keys.</summary>
public sealed partial class SinkholeConfigReader
{
    private static readonly string[] LogLevelNames = [.. Enum.GetNames<LogLevel>()];

    private LoggingOptions ReadLogging(IConfigurationSection section)
    {
        CheckKeys(section, "LogLevel");
        LogLevel? fallback = null;
        var categories = new List<KeyValuePair<string, LogLevel>>();
        foreach (IConfigurationSection entry in section.GetSection("LogLevel").GetChildren())
        {
            // Names only: Enum.TryParse would also take "2" or "Information, Error".
            string? text = entry.Value?.Trim();
            string? name = LogLevelNames.FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                Error(entry.Path, $"'{entry.Value}' is not a log level ({string.Join(", ", LogLevelNames)})");
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

        return new LoggingOptions { Default = fallback, Categories = categories };
    }
}
