using System.Collections;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>
/// Builds the configuration from, in rising precedence: the JSON file (or the embedded quick-start
/// config), environment variables prefixed <c>MISINKHOLE__</c> (<c>MISINKHOLE__Dns__Listen__0</c>),
/// and command-line overrides (<c>--Dns:Listen:0=127.0.0.1:5353</c>). Relative paths resolve
/// against the config file's folder; for the embedded config see <see cref="QuickStart"/>.
/// </summary>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "MISINKHOLE__";
    public const string EmbeddedName = "MiSinkhole.default-config.json";

    public static LoadedConfig Load(string? configFile, IReadOnlyList<string> overrides, IDictionary? environment = null)
    {
        var builder = new ConfigurationBuilder();
        string baseDirectory;
        string source;
        (DateTime, long)? stamp = null;
        if (configFile is not null)
        {
            string full = Path.GetFullPath(configFile);
            source = full;
            baseDirectory = Path.GetDirectoryName(full)!;
            if (!File.Exists(full))
            {
                return Failed(source, new ConfigError("(file)", Directory.Exists(full) ? $"{full} is a folder, not a config file" : $"config file not found: {full}"));
            }

            stamp = ConfigFileSource.Stamp(full);
            byte[] json;
            try
            {
                json = File.ReadAllBytes(full);
            }
            catch (UnauthorizedAccessException)
            {
                return Failed(source, new ConfigError("", "cannot read the config file: permission denied") { File = full });
            }
            catch (IOException e)
            {
                return Failed(source, new ConfigError("", $"cannot read the config file: {e.Message}") { File = full });
            }

            if (JsonSyntaxCheck.Check(json, full) is { } syntax)
            {
                return Failed(source, syntax);
            }

            // From the bytes just checked, not through a file provider: one read, and a name that
            // starts with a dot (.local.json) is a file like any other (PhysicalFileProvider hides those).
            builder.AddJsonStream(new MemoryStream(json, writable: false));
        }
        else
        {
            source = "embedded default config";
            baseDirectory = QuickStart.ConfigDirectory(AppContext.BaseDirectory);
            // Lowest precedence: the environment and the command line can still set DataDirectory.
            builder.AddInMemoryCollection([new("DataDirectory", QuickStart.StateDirectory(environment ?? Environment.GetEnvironmentVariables()))]);
            builder.AddJsonStream(typeof(ConfigLoader).Assembly.GetManifestResourceStream(EmbeddedName)
                ?? throw new InvalidOperationException("embedded default config missing from the build"));
        }

        builder.AddInMemoryCollection(EnvironmentOverrides(environment ?? Environment.GetEnvironmentVariables()));
        builder.AddCommandLine([.. overrides]);
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            return Failed(source, new ConfigError("(file)", e.InnerException?.Message ?? e.Message) { File = configFile is null ? null : source });
        }

        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = SinkholeConfigReader.Read(configuration, baseDirectory);
        if (configFile is not null)
        {
            problems = [.. problems.Select(p => p with { File = source, Line = JsonKeyLocator.FindLine(source, p.Key) })];
        }

        // Per section and per entry of a section (each list, policy, device, setting): what a
        // reload compares to say what changed and which changes wait for a restart.
        var fingerprints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection top in configuration.GetChildren())
        {
            fingerprints[top.Path] = Fingerprint(top);
            foreach (IConfigurationSection entry in top.GetChildren())
            {
                fingerprints[entry.Path] = Fingerprint(entry);
            }
        }

        return new LoadedConfig(options, problems, source) { Fingerprints = fingerprints, FileStamp = stamp };
    }

    private static string Fingerprint(IConfigurationSection section) =>
        section.Value + "\n" + string.Join('\n', section.AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>MISINKHOLE__Dns__Listen__0 → Dns:Listen:0 (the convention of .NET's environment provider).</summary>
    private static Dictionary<string, string?> EnvironmentOverrides(IDictionary environment)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string key && key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                values[key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = entry.Value as string;
            }
        }

        return values;
    }

    private static LoadedConfig Failed(string source, ConfigError error) => new(new SinkholeOptions(), [error], source);
}
