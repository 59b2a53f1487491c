using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Hosting;

/// <summary>
/// Changes the config file for the API (a policy switch, a named client from the web page): the
/// values are set in the file's text (<see cref="JsonTextEditor"/>, so the user's comments and
/// layout stay), the result is checked by the same reader as a file edit, written next to the
/// file and renamed over it (atomic: a reader sees the old file or the new one), and applied at
/// once through <see cref="ConfigWatcher"/>. The file stays the source of truth: a refused change
/// writes nothing. One change at a time.
/// </summary>
public sealed partial class ConfigFileEditor
{
    private readonly ConfigFileSource? _source;
    private readonly ConfigWatcher? _watcher;
    private readonly ILogger<ConfigFileEditor> _logger;
    private readonly Lock _lock = new();

    public ConfigFileEditor(IServiceProvider services, ILogger<ConfigFileEditor> logger)
    {
        _source = services.GetService<ConfigFileSource>();
        _watcher = _source is null ? null : services.GetService<ConfigWatcher>();
        _logger = logger;
    }

    /// <summary>The config file changes are written to; null when the daemon runs on the embedded default config.</summary>
    public string? FilePath => _watcher is null ? null : _source?.Path;

    /// <summary>
    /// Sets <paramref name="edits"/> in the file and applies it.
    /// </summary>
    /// <param name="what">The change in words, for the log and the answer ("tv: policy strict").</param>
    /// <param name="inForce">
    /// Given the options read from the changed file, null when the change is in force there, else
    /// why not (an environment variable or the command line overrides the key).
    /// </param>
    public ConfigEditResult Apply(string what, IReadOnlyList<ConfigEdit> edits, Func<SinkholeOptions, string?>? inForce = null)
    {
        if (_source is null || _watcher is null)
        {
            return Refused(409, "the daemon runs on its embedded default config, so there is no file to write this to: "
                + "start it with --config FILE (the shipped config/misinkhole.json) to change settings from the page or the API");
        }

        string path = _source.Path;
        lock (_lock)
        {
            ConfigReloadResult? result = null;
            for (int attempt = 0; result is null; attempt++)
            {
                if (Attempt(path, what, edits, inForce, out result) is { } refused)
                {
                    return refused;
                }

                if (result is null && attempt == 2)
                {
                    return Refused(409, $"{what}: refused, {path} kept changing while it was written; try again");
                }
            }

            if (!result.Applied)
            {
                // Not valid although it was checked: a change by hand landed in between and was refused as any bad edit.
                return Refused(422, $"{what}: written, but the file is not valid now; the running config stays",
                    [.. result.Problems.Where(p => !p.IsWarning).Select(p => p.ToString())]);
            }

            LogEdited(path, what);
            return new ConfigEditResult(true, 200, $"{what}: written to {path} and applied", []) { Changes = result.Changes };
        }
    }

    /// <summary>
    /// One read, change, check and rename; a refusal, or null with <paramref name="result"/> the
    /// reload (null too when the file changed by hand meanwhile: read it again).
    /// </summary>
    private ConfigEditResult? Attempt(string path, string what, IReadOnlyList<ConfigEdit> edits, Func<SinkholeOptions, string?>? inForce, out ConfigReloadResult? result)
    {
        result = null;
        (DateTime, long) stamp = ConfigFileSource.Stamp(path);
        string text;
        string original;
        bool bom;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            bom = bytes.AsSpan().StartsWith(Utf8Bom);
            text = new System.Text.UTF8Encoding(false).GetString(bytes.AsSpan(bom ? Utf8Bom.Length : 0));
            original = text;
            foreach (ConfigEdit edit in edits)
            {
                if (edit.New && JsonTextEditor.Contains(text, edit.Path))
                {
                    return Refused(409, $"{what}: refused, {path} has {edit.Key} already (if it is not in force, the running config refused the file: see the log)");
                }

                text = JsonTextEditor.Set(text, edit.Path, edit.Value);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refused(500, $"cannot read {path}: {e.Message}");
        }
        catch (FormatException e)
        {
            return Refused(422, $"{path}: {e.Message}");
        }

        if (text == original)
        {
            // The file says so already (a change shared by another instance, applied again): nothing to
            // write, but the same checks, so an override or a file refused by hand is still reported.
            LoadedConfig current = ConfigLoader.Load(path, _source!.Overrides, _source.Environment);
            if (!current.IsValid)
            {
                return Refused(422, $"{what}: {path} says so already, but it is not valid; the running config stays",
                    [.. current.Problems.Where(p => !p.IsWarning).Select(p => p.ToString())]);
            }

            if (inForce?.Invoke(current.Options) is string overridden)
            {
                return Refused(409, $"{what}: refused, {overridden}");
            }

            result = new ConfigReloadResult(true, [], []);
            return null;
        }

        string next = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".new");
        try
        {
            Write(next, text, bom, path);
            LoadedConfig loaded = ConfigLoader.Load(next, _source!.Overrides, _source.Environment);
            if (!loaded.IsValid)
            {
                File.Delete(next);
                return Refused(422, $"{what}: refused, the config would not be valid; {path} is unchanged",
                    [.. loaded.Problems.Where(p => !p.IsWarning).Select(p => (p with { File = path }).ToString())]);
            }

            if (inForce?.Invoke(loaded.Options) is string overridden)
            {
                File.Delete(next);
                return Refused(409, $"{what}: refused, {overridden}; {path} is unchanged");
            }

            bool moved = false;
            ConfigReloadResult applied = _watcher!.ApplyWritten(() =>
            {
                // Only over the file that was read: an edit by hand saved meanwhile is never overwritten.
                if (ConfigFileSource.Stamp(path) == stamp)
                {
                    File.Move(next, path, overwrite: true); // rename(2): atomic on one file system
                    moved = true;
                }
            });
            if (!moved)
            {
                File.Delete(next);
                return null;
            }

            result = applied;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(next);
            return Refused(500, $"cannot write {path}: {e.Message} (the daemon's user needs to write the file and its folder: see README, \"The web page\")");
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Writes the new text in full, on disk, with the old file's mode (and its byte-order mark, if it had one), before the rename.</summary>
    private static void Write(string next, string text, bool bom, string original)
    {
        using (var stream = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (bom)
            {
                stream.Write(Utf8Bom);
            }

            stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(next, File.GetUnixFileMode(original));
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private ConfigEditResult Refused(int status, string message, IReadOnlyList<string>? errors = null)
    {
        LogRefused(message, errors is null ? "" : string.Join("; ", errors));
        return new ConfigEditResult(false, status, message, errors ?? []);
    }

    [LoggerMessage(EventId = LogEventIds.ConfigEditor + 1, Level = LogLevel.Information, Message = "Config {File} changed through the API: {What}")]
    private partial void LogEdited(string file, string what);

    [LoggerMessage(EventId = LogEventIds.ConfigEditor + 2, Level = LogLevel.Warning, Message = "Config change through the API refused: {Message} {Errors}")]
    private partial void LogRefused(string message, string errors);
}
