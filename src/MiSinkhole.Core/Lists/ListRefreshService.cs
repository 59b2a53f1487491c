using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;

namespace MiSinkhole.Core.Lists;

/// <summary>
/// Keeps the lists current in the background: downloads URL sources when their
/// <c>RefreshInterval</c> is due (at start, sources without a cached copy at once; failures are
/// retried after 5 minutes), and watches local list files; after any change the rules are
/// compiled again off to the side and swapped in. The daemon starts serving from the cached
/// copies before any download, and a failed download keeps the last good copy.
/// </summary>
public sealed partial class ListRefreshService : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(5);

    private readonly SinkholeOptions _initialOptions;
    private readonly ActiveConfig _config;
    private readonly ListDownloader _downloader;
    private readonly TimeProvider _time;
    private readonly ILogger<ListRefreshService> _logger;
    private readonly Dictionary<string, DateTimeOffset> _failedAt = [];
    private readonly Dictionary<string, (DateTime Time, long Length)> _localStamps = [];
    private readonly Lock _localLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _failuresByList = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastGoodByList = new(StringComparer.OrdinalIgnoreCase);
    private long _failedDownloads;

    public ListRefreshService(SinkholeOptions options, ActiveConfig config, ListDownloader downloader, TimeProvider time, ILogger<ListRefreshService> logger, IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableGauge("misinkhole.list.last_refresh", () => _lastGoodByList.Select(p => new Measurement<long>(p.Value.ToUnixTimeSeconds(), new KeyValuePair<string, object?>("list", p.Key))),
            unit: "s", description: "Unix time a list's URL sources last downloaded or confirmed a good copy.");
        meter.CreateObservableCounter("misinkhole.list.refresh_failures", FailureMeasurements, description: "List downloads that failed (HTTP error, garbage, timeout); the last good copy stays.");
        _initialOptions = options;
        _config = config;
        _downloader = downloader;
        _time = time;
        _logger = logger;
        foreach (string file in LocalFiles(options))
        {
            _localStamps[file] = Stamp(file);
        }

        // The last good refresh before this start, so the age is known before the next download.
        foreach (ListOptions list in options.Lists)
        {
            foreach (ListSubscription subscription in list.Subscriptions)
            {
                if (ListCacheMetadata.Read(subscription.CachePath) is { } meta
                    && (!_lastGoodByList.TryGetValue(list.Name, out DateTimeOffset known) || meta.CheckedAt > known))
                {
                    _lastGoodByList[list.Name] = meta.CheckedAt;
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> FailureMeasurements()
    {
        // Every list with URL sources reports, 0 until it fails: alerts need the series to exist.
        IEnumerable<string> names = Options.Lists.Where(l => l.Subscriptions.Count > 0).Select(l => l.Name);
        foreach (string list in names.Union(_failuresByList.Keys, StringComparer.OrdinalIgnoreCase))
        {
            yield return new Measurement<long>(_failuresByList.GetValueOrDefault(list), new KeyValuePair<string, object?>("list", list));
        }
    }

    /// <summary>The latest configuration: a config reload may have changed the lists.</summary>
    private SinkholeOptions Options => _config.TryGetOptions() ?? _initialOptions;

    /// <summary>Downloads that failed (HTTP error, garbage, timeout) since start.</summary>
    public long FailedDownloads => Interlocked.Read(ref _failedDownloads);

    /// <summary>Failed downloads per list since start.</summary>
    public IReadOnlyDictionary<string, long> FailuresByList => _failuresByList;

    /// <summary>When each list's URL sources last downloaded or confirmed (not modified) a good copy.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastGoodRefreshByList => _lastGoodByList;

    /// <summary>
    /// One pass: refresh every due URL source (all of them with <paramref name="force"/>) and
    /// look for changed local files; reload the rules if anything changed. True when it reloaded.
    /// </summary>
    public async Task<bool> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        bool changed = false;
        SinkholeOptions options = Options;
        foreach (ListOptions list in options.Lists.Where(l => l.Enabled))
        {
            foreach (ListSubscription subscription in list.Subscriptions)
            {
                if (!force && !IsDue(subscription, list.RefreshInterval))
                {
                    continue;
                }

                DownloadOutcome outcome = await _downloader.RefreshAsync(subscription, options.ListDownloads, cancellationToken).ConfigureAwait(false);
                switch (outcome.Result)
                {
                    case DownloadResult.Updated:
                        _failedAt.Remove(subscription.CachePath);
                        _lastGoodByList[list.Name] = _time.GetUtcNow();
                        LogDownloaded(list.Name, subscription.Url, outcome.Rules);
                        if (outcome.LongLines > 0)
                        {
                            LogLongLines(list.Name, subscription.Url, outcome.LongLines, options.ListDownloads.MaxLineLength);
                        }

                        changed = true;
                        break;
                    case DownloadResult.NotModified:
                        _failedAt.Remove(subscription.CachePath);
                        _lastGoodByList[list.Name] = _time.GetUtcNow();
                        break;
                    default:
                        _failedAt[subscription.CachePath] = _time.GetUtcNow();
                        Interlocked.Increment(ref _failedDownloads);
                        _failuresByList.AddOrUpdate(list.Name, 1, static (_, n) => n + 1);
                        LogDownloadFailed(list.Name, subscription.Url, outcome.Reason ?? "unknown");
                        break;
                }
            }
        }

        if (changed)
        {
            // Local files changed meanwhile are read by this reload too; take their stamps first.
            lock (_localLock)
            {
                LocalFilesChanged(options);
                _config.Reload();
            }

            return true;
        }

        return ReloadChangedLocalFiles();
    }

    /// <summary>
    /// Reloads the rules now if a local list file changed, or <paramref name="written"/> (a file
    /// the API's review decision just wrote) was written since the rules were read, so it is in
    /// force when the answer returns; the next pass then finds nothing new. True when it reloaded.
    /// </summary>
    public bool ReloadChangedLocalFiles(string? written = null)
    {
        lock (_localLock)
        {
            // A file of a list the config added since the last pass: its stamp was not known, so it is not "unchanged".
            bool unknown = written is not null && !_localStamps.ContainsKey(written);
            bool changed = LocalFilesChanged(Options) || unknown;

            if (!changed)
            {
                return false;
            }

            _config.Reload();
            return true;
        }
    }

    private bool LocalFilesChanged(SinkholeOptions options)
    {
        bool changed = false;
        foreach (string file in LocalFiles(options))
        {
            (DateTime, long) stamp = Stamp(file);
            if (!_localStamps.TryGetValue(file, out (DateTime, long) known))
            {
                _localStamps[file] = stamp; // new in a reloaded config, which loaded it
            }
            else if (known != stamp)
            {
                _localStamps[file] = stamp;
                LogFileChanged(file);
                changed = true;
            }
        }

        return changed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, _time);
        try
        {
            do
            {
                try
                {
                    await RefreshAsync(force: false, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogRefreshFailed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping, also when the host is disposed without a stop (a failed start): the wait
            // for the next tick is cancelled; that is the end, not a failure.
        }
    }

    private bool IsDue(ListSubscription subscription, TimeSpan interval)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_failedAt.TryGetValue(subscription.CachePath, out DateTimeOffset failed))
        {
            return now - failed >= RetryAfterFailure;
        }

        if (!File.Exists(subscription.CachePath))
        {
            return true;
        }

        ListCacheMetadata? meta = ListCacheMetadata.Read(subscription.CachePath);
        return meta is null || now - meta.CheckedAt >= interval;
    }

    /// <summary>When a local file was last written, and its length (two appends within one tick of the clock differ in length); a missing one (an optional list's, not written yet) has its own stamp, so its appearance is a change.</summary>
    private static (DateTime Time, long Length) Stamp(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    private static IEnumerable<string> LocalFiles(SinkholeOptions options) =>
        options.Lists.Where(l => l.Enabled).SelectMany(l => l.Sources.Where(s => l.Subscriptions.All(u => u.CachePath != s)));

    [LoggerMessage(EventId = LogEventIds.Lists + 1, Level = LogLevel.Information, Message = "List {List}: downloaded {Url} ({Rules} rules)")]
    private partial void LogDownloaded(string list, Uri url, int rules);

    [LoggerMessage(EventId = LogEventIds.Lists + 2, Level = LogLevel.Warning, Message = "List {List}: download of {Url} failed ({Reason}); keeping the last good copy")]
    private partial void LogDownloadFailed(string list, Uri url, string reason);

    [LoggerMessage(EventId = LogEventIds.Lists + 3, Level = LogLevel.Information, Message = "List file {File} changed; reloading")]
    private partial void LogFileChanged(string file);

    [LoggerMessage(EventId = LogEventIds.Lists + 4, Level = LogLevel.Error, Message = "List refresh failed")]
    private partial void LogRefreshFailed(Exception exception);

    [LoggerMessage(EventId = LogEventIds.Lists + 5, Level = LogLevel.Warning, Message = "List {List}: {Count} lines of {Url} longer than {MaxLineLength} bytes were dropped (Lists:MaxLineLength)")]
    private partial void LogLongLines(string list, Uri url, int count, int maxLineLength);
}
