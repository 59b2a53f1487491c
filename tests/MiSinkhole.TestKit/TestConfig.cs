using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.TestKit;

/// <summary>
/// A config for a test, built with the names a config file uses (lists, policies, devices,
/// schedules), instead of each test restating the same key/value dictionary. Read it as
/// options, or hand its <see cref="Values"/> to <see cref="RunningDaemon"/>.
/// </summary>
public sealed class TestConfig
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);

    public IDictionary<string, string?> Values => _values;

    /// <summary>Sets one key; null leaves it out.</summary>
    public TestConfig Set(string key, string? value)
    {
        if (value is null)
        {
            _values.Remove(key);
        }
        else
        {
            _values[key] = value;
        }

        return this;
    }

    /// <summary>Sets several keys (each as <see cref="Set"/>).</summary>
    public TestConfig SetAll(params (string Key, string? Value)[] values)
    {
        foreach ((string key, string? value) in values)
        {
            Set(key, value);
        }

        return this;
    }

    /// <summary>The upstream servers, tried in this order.</summary>
    public TestConfig Upstream(params string[] addresses) => Array(["Upstreams", "Servers"], addresses);

    public TestConfig List(string name, params string[] sources) => Array(["Lists", name, "Sources"], sources);

    /// <summary>A list downloaded from a plain-http URL (the fake list server on loopback), with the opt-in it needs.</summary>
    public TestConfig HttpList(string name, Uri url) => List(name, url.ToString()).Set($"Lists:{name}:AllowHttp", "true");

    /// <summary>
    /// A policy: the lists it blocks, logs and allows (names or globs), when it applies and what
    /// applies outside that, and how its blocks answer (a mode or addresses, and the TTL). Null
    /// leaves a key out; a policy with nothing at all set still exists (an empty Block).
    /// </summary>
    public TestConfig Policy(string name, string[]? block = null, string[]? log = null, string[]? allow = null, string? schedule = null, string? otherwise = null,
        string? blockResponse = null, string? blockTtl = null)
    {
        Array(["Policies", name, "Block"], block ?? []);
        Array(["Policies", name, "Log"], log ?? []);
        Array(["Policies", name, "Allow"], allow ?? []);
        if (block is null && log is null && allow is null && schedule is null && otherwise is null && blockResponse is null && blockTtl is null)
        {
            Set($"Policies:{name}:Block", ""); // a policy with no keys at all
        }

        return Set($"Policies:{name}:Schedule", schedule).Set($"Policies:{name}:Otherwise", otherwise)
            .Set($"Policies:{name}:BlockResponse", blockResponse).Set($"Policies:{name}:BlockTtl", blockTtl);
    }

    public TestConfig DefaultPolicy(string name) => Set("DefaultPolicy", name);

    public TestConfig AutoPolicy(string name) => Set("Devices:AutoPolicy", name);

    /// <summary>A device matched by addresses, CIDR ranges or MAC addresses; a null policy means DefaultPolicy.</summary>
    public TestConfig Device(string name, string? policy, params string[] match) =>
        Array(["Devices", name, "Match"], match).Set($"Devices:{name}:Policy", policy);

    public TestConfig Schedule(string name, params string[] windows) => Array(["Schedules", name], windows);

    /// <summary>The options the daemon would read, relative paths against <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="InvalidOperationException">The config has errors (they are the message).</exception>
    public SinkholeOptions Read(string baseDirectory)
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = ReadWithProblems(baseDirectory);
        ConfigError[] errors = [.. problems.Where(p => !p.IsWarning)];
        return errors.Length == 0 ? options : throw new InvalidOperationException(string.Join("\n", errors.Select(e => e.ToString())));
    }

    /// <summary>
    /// What the config reader makes of this config, relative paths against <paramref name="baseDirectory"/>:
    /// the options and every problem (errors and warnings), nothing thrown. For tests that look at the problems.
    /// </summary>
    public (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) ReadWithProblems(string baseDirectory) =>
        SinkholeConfigReader.Read(new ConfigurationBuilder().AddInMemoryCollection(_values).Build(), baseDirectory);

    private TestConfig Array(string[] path, string[] items)
    {
        string prefix = string.Join(':', path);
        for (int i = 0; i < items.Length; i++)
        {
            _values[$"{prefix}:{i}"] = items[i];
        }

        return this;
    }
}
