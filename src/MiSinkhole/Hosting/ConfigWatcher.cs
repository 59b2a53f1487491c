using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Hosting;

/// <summary>
/// Watches the config file (by polling its time and size, which also works on Docker volumes
/// and with editors that replace the file) and applies a valid change without a restart: lists,
/// policies, schedules and devices are compiled off to the side and swapped in as one snapshot,
/// so no query is dropped or sees half a config. An invalid change is refused and logged with
/// every problem; the running config stays. Settings that only take effect at start, as their
/// owners' key tables declare them (<see cref="SinkholeConfigReader.RestartKeys"/>), are reported
/// as needing a restart. Every applied change is logged with what it changed
/// (lists, policies, devices … added, removed or changed).
/// </summary>
public sealed partial class ConfigWatcher : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly ConfigFileSource _source;
    private readonly ActiveConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger<ConfigWatcher> _logger;
    private readonly Lock _applyLock = new();
    private readonly IReadOnlyDictionary<string, string> _startFingerprints;
    private IReadOnlyDictionary<string, string> _appliedFingerprints;
    private (DateTime Time, long Length) _stamp;

    public ConfigWatcher(ConfigFileSource source, ActiveConfig config, TimeProvider time, ILogger<ConfigWatcher> logger)
    {
        _source = source;
        _config = config;
        _time = time;
        _logger = logger;
        _stamp = source.LoadedStamp ?? ConfigFileSource.Stamp(source.Path);
        _startFingerprints = _source.Load().Fingerprints;
        _appliedFingerprints = _startFingerprints;
    }

    /// <summary>Raised after every attempt to apply a changed file.</summary>
    public event Action<ConfigReloadResult>? Reloaded;

    /// <summary>Reads the file now and applies it if it is valid.</summary>
    public ConfigReloadResult Apply()
    {
        lock (_applyLock)
        {
            // The stamp before the read: a change written while it is read is seen at the next tick.
            (DateTime Time, long Length) stamp = ConfigFileSource.Stamp(_source.Path);
            LoadedConfig config = _source.Load();
            ConfigReloadResult result;
            if (!config.IsValid)
            {
                foreach (ConfigError problem in config.Problems.Where(p => !p.IsWarning))
                {
                    LogProblem(problem.ToString());
                }

                LogRefused(config.Source);
                result = new ConfigReloadResult(false, config.Problems, []);
            }
            else
            {
                string[] restart = [.. SinkholeConfigReader.RestartKeys.Where(s => config.Fingerprints.GetValueOrDefault(s) != _startFingerprints.GetValueOrDefault(s))];
                IReadOnlyList<string> changes = ConfigChanges.Describe(_appliedFingerprints, config.Fingerprints);
                _appliedFingerprints = config.Fingerprints;
                if (restart.Contains("DataDirectory"))
                {
                    // Cached list downloads live there: keep using the running folder until a restart.
                    config = _source.Load("--DataDirectory=" + _config.Options.DataDirectory);
                }

                _config.Load(config.Options);
                LogApplied(config.Source, changes.Count == 0 ? "no setting changed" : string.Join("; ", changes));
                if (restart.Length > 0)
                {
                    LogNeedsRestart(string.Join(", ", restart));
                }

                result = new ConfigReloadResult(true, config.Problems, restart) { Changes = changes };
            }

            Reloaded?.Invoke(result);
            _stamp = stamp; // only once applied or refused: a read that threw is tried again at the next tick
            return result;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // SIGHUP (systemctl reload) applies the file at once, as a change would.
        using var hangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            _ = Task.Run(() =>
            {
                try
                {
                    Apply();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    LogProblem($"{_source.Path}: cannot apply: {e.Message}");
                }
            }, CancellationToken.None);
        });
        using var timer = new PeriodicTimer(PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!ChangedSinceApplied())
                {
                    continue;
                }

                try
                {
                    Apply();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogProblem($"{_source.Path}: cannot apply: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Whether the file's time or size differs from the last one applied (or refused), here or by <see cref="ConfigFileEditor"/>.</summary>
    private bool ChangedSinceApplied()
    {
        lock (_applyLock)
        {
            return ConfigFileSource.Stamp(_source.Path) != _stamp;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> (a rename over the file) and applies the file, both under the
    /// lock of every apply: the poll cannot apply the new file in between (which would compile it
    /// twice and leave the writer's own apply with nothing to report).
    /// </summary>
    public ConfigReloadResult ApplyWritten(Action write)
    {
        lock (_applyLock)
        {
            write();
            return Apply(); // the lock is re-entrant
        }
    }

    [LoggerMessage(EventId = LogEventIds.ConfigWatcher + 1, Level = LogLevel.Information, Message = "Config {Source} changed: applied ({Changes})")]
    private partial void LogApplied(string source, string changes);

    [LoggerMessage(EventId = LogEventIds.ConfigWatcher + 2, Level = LogLevel.Error, Message = "Config {Source} changed but is not valid: keeping the running config")]
    private partial void LogRefused(string source);

    [LoggerMessage(EventId = LogEventIds.ConfigWatcher + 3, Level = LogLevel.Error, Message = "{Problem}")]
    private partial void LogProblem(string problem);

    [LoggerMessage(EventId = LogEventIds.ConfigWatcher + 4, Level = LogLevel.Warning, Message = "Config changes in {Sections} take effect at the next restart")]
    private partial void LogNeedsRestart(string sections);
}
