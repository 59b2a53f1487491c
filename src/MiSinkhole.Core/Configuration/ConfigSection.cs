using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// One section of the configuration as its owner reads it: typed values with the key's full path
/// in every problem (so a bad value is reported, with the fallback kept, instead of stopping the
/// read), and the folders relative paths resolve against. Owners read through their
/// <see cref="SectionKeys{T}"/> table; <see cref="SinkholeConfigReader"/> only hands sections out.
/// </summary>
public sealed class ConfigSection
{
    private readonly IConfiguration _section;
    private readonly List<ConfigError> _errors;

    internal ConfigSection(IConfiguration section, List<ConfigError> errors, string baseDirectory, string dataDirectory)
    {
        _section = section;
        _errors = errors;
        BaseDirectory = baseDirectory;
        DataDirectory = dataDirectory;
    }

    /// <summary>The section's own key ("Cache"; "xiaomi" for the entry Lists:xiaomi); "" for the root.</summary>
    public string Key => (_section as IConfigurationSection)?.Key ?? "";

    /// <summary>The full key ("Lists:xiaomi"); "" for the root.</summary>
    public string Path => (_section as IConfigurationSection)?.Path ?? "";

    /// <summary>The folder relative paths resolve against (the config file's).</summary>
    public string BaseDirectory { get; }

    /// <summary><c>DataDirectory</c>, resolved.</summary>
    public string DataDirectory { get; }

    /// <summary>The section's own value, when it is a scalar rather than an object.</summary>
    public string? Value => (_section as IConfigurationSection)?.Value;

    public string? this[string key] => _section[key];

    /// <summary>Problems found so far anywhere in the configuration (to tell whether an entry already has one).</summary>
    public IReadOnlyList<ConfigError> Errors => _errors;

    public ConfigSection Section(string key) => new(_section.GetSection(key), _errors, BaseDirectory, DataDirectory);

    /// <summary>The entries of a section of named entries (lists, policies, devices).</summary>
    public IEnumerable<ConfigSection> Children() => _section.GetChildren().Select(c => new ConfigSection(c, _errors, BaseDirectory, DataDirectory));

    /// <summary>Values of an array ("Key:0", "Key:1" …) or of a single scalar value, each with its full key.</summary>
    public List<(string Key, string Value)> Items(string? key = null)
    {
        IConfigurationSection? section = key is null ? _section as IConfigurationSection : _section.GetSection(key);
        if (section is null)
        {
            return [];
        }

        if (section.Value is not null)
        {
            return section.Value.Length == 0 ? [] : [(section.Path, section.Value)]; // "" is an empty JSON array
        }

        return [.. section.GetChildren().Where(c => c.Value is not null).Select(c => (c.Path, c.Value!))];
    }

    public int Integer(string key, int fallback, int min, int max)
    {
        string? text = _section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            Error(key, $"'{text}' is not a whole number from {min} to {max}");
            return fallback;
        }

        return value;
    }

    /// <summary>"00:00:10" or a number with a unit ("500ms", "10s", "24h", "7d"); at least <paramref name="min"/> when given (<paramref name="needed"/> says so).</summary>
    public TimeSpan Duration(string key, TimeSpan fallback, TimeSpan? min = null, string? needed = null)
    {
        string? text = _section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!ConfigValue.TryParseDuration(text, out TimeSpan value))
        {
            Error(key, $"'{text}' is not a duration (e.g. 00:00:10, 10s, 500ms)");
            return fallback;
        }

        if (value < min)
        {
            Error(key, $"'{text}': {needed ?? $"at least {min}"} is needed");
            return fallback;
        }

        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        string? text = _section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!bool.TryParse(text, out bool value))
        {
            Error(key, $"'{text}' is not true or false");
            return fallback;
        }

        return value;
    }

    /// <summary>An enum by name (any case); <paramref name="names"/> is how the problem lists the choices.</summary>
    public T Enum<T>(string key, T fallback, string names)
        where T : struct, Enum
    {
        string? text = _section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!System.Enum.TryParse(text, ignoreCase: true, out T value) || !System.Enum.IsDefined(value) || int.TryParse(text, out _))
        {
            Error(key, $"'{text}' is not {names}");
            return fallback;
        }

        return value;
    }

    /// <summary>An address with optional port; <paramref name="example"/> shows the form in the problem.</summary>
    public IPEndPoint? EndPoint(string key, int defaultPort, IPEndPoint? fallback, string example, bool allowPortZero = false)
    {
        string? text = _section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!ConfigValue.TryParseEndPoint(text, defaultPort, out IPEndPoint endPoint, allowPortZero))
        {
            Error(key, $"'{text}' is not an address with optional port (e.g. {example})");
            return fallback;
        }

        return endPoint;
    }

    /// <summary>A list of listen addresses with optional port (<paramref name="defaultPort"/>, 0 allowed: pick one); each bad entry is a problem naming it.</summary>
    public List<IPEndPoint> EndPoints(string key, int defaultPort, string example)
    {
        var endPoints = new List<IPEndPoint>();
        foreach ((string item, string value) in Items(key))
        {
            if (ConfigValue.TryParseEndPoint(value, defaultPort, out IPEndPoint endPoint, allowPortZero: true))
            {
                endPoints.Add(endPoint);
            }
            else
            {
                Error(item, $"'{value}' is not an address with optional port (e.g. {example})");
            }
        }

        return endPoints;
    }

    /// <summary>A list of addresses and CIDR ranges; each bad entry is a problem naming it, <paramref name="example"/> the form.</summary>
    public AddressSet Networks(string key, string example)
    {
        var networks = new List<IpNetwork>();
        foreach ((string item, string value) in Items(key))
        {
            if (IpNetwork.TryParse(value, out IpNetwork network))
            {
                networks.Add(network);
            }
            else
            {
                Error(item, $"'{value}' is not an address or a CIDR range ({example})");
            }
        }

        return new AddressSet(networks);
    }

    /// <summary>A path relative to the config file's folder, made absolute.</summary>
    public string FullPath(string path) => System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDirectory, path));

    /// <summary>Reports a problem with <paramref name="key"/> of this section (or a full key path, as <see cref="Items"/> gives).</summary>
    public void Error(string key, string message) => _errors.Add(new ConfigError(FullKey(key), message));

    public void Warning(string key, string message) => _errors.Add(new ConfigError(FullKey(key), message) { IsWarning = true });

    private string FullKey(string key) =>
        Path.Length == 0 ? key : key.Length == 0 ? Path : key.StartsWith(Path + ":", StringComparison.OrdinalIgnoreCase) || key.Equals(Path, StringComparison.OrdinalIgnoreCase) ? key : $"{Path}:{key}";
}
