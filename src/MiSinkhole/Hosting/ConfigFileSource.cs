using System.Collections;

namespace MiSinkhole.Hosting;

/// <summary>Where the running config came from, so it can be read again the same way when the file changes.</summary>
public sealed record ConfigFileSource(string Path, IReadOnlyList<string> Overrides, IDictionary? Environment = null)
{
    public LoadedConfig Load() => ConfigLoader.Load(Path, Overrides, Environment);
}
