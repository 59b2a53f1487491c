using System.Collections;

namespace MiSinkhole.Hosting;

/// <summary>Where the running config came from, so it can be read again the same way when the file changes.</summary>
public sealed record ConfigFileSource(string Path, IReadOnlyList<string> Overrides, IDictionary? Environment = null)
{
    /// <summary>The file's time and size when the running config was read from it.</summary>
    public (DateTime Time, long Length)? LoadedStamp { get; init; }

    public LoadedConfig Load(params string[] moreOverrides) => ConfigLoader.Load(Path, [.. Overrides, .. moreOverrides], Environment);

    public static (DateTime Time, long Length) Stamp(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }
}
