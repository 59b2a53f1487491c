using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>The configuration as read, with every problem found (errors and warnings).</summary>
public sealed record LoadedConfig(SinkholeOptions Options, IReadOnlyList<ConfigError> Problems, string Source)
{
    public bool IsValid => Problems.All(p => p.IsWarning);

    /// <summary>Per top-level section, its settings flattened: tells which sections a reload changed.</summary>
    public IReadOnlyDictionary<string, string> Fingerprints { get; init; } = new Dictionary<string, string>();
}
