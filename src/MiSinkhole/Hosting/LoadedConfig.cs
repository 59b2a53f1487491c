using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>The configuration as read, with every problem found (errors and warnings).</summary>
public sealed record LoadedConfig(SinkholeOptions Options, IReadOnlyList<ConfigError> Problems, string Source)
{
    public bool IsValid => Problems.All(p => p.IsWarning);

    /// <summary>The config file's time and size just before it was read (null for the embedded config).</summary>
    public (DateTime Time, long Length)? FileStamp { get; init; }

    /// <summary>Per top-level section, its settings flattened: tells which sections a reload changed.</summary>
    public IReadOnlyDictionary<string, string> Fingerprints { get; init; } = new Dictionary<string, string>();
}
