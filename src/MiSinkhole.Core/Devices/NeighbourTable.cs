using System.Collections.Frozen;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// The host's neighbour tables as a snapshot that queries can read on every packet: devices in
/// the config may be matched by MAC address, and only the kernel knows which MAC an address (an
/// IPv6 privacy address especially) belongs to. A background loop reads the tables (netlink on
/// Linux, else <c>/proc/net/arp</c>; empty on other systems) every 30 s, and sooner when a lookup
/// misses, at most once per 2 s; the new snapshot replaces the old one in a single reference
/// swap, and a failed read keeps the previous one.
/// </summary>
public sealed partial class NeighbourTable : BackgroundService, INeighbourTable
{
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMinimumRefreshInterval = TimeSpan.FromSeconds(2);

    private const string ProcNetArp = "/proc/net/arp";

    /// <summary>IPv4 keys are the IPv4-mapped IPv6 form, which <see cref="ClientAddress"/> never holds as IPv6.</summary>
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    private readonly TimeProvider _time;
    private readonly ILogger<NeighbourTable> _logger;
    private readonly Func<IReadOnlyList<NeighbourEntry>> _source;
    private readonly bool _hostSource;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeSpan _minimumRefreshInterval;
    private readonly Lock _refreshLock = new();

    private FrozenDictionary<UInt128, MacAddress> _table = FrozenDictionary<UInt128, MacAddress>.Empty;
    private long _lastRefreshTicks;

    /// <summary>Completed to wake the loop: by a miss, the periodic timer or stopping.</summary>
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>1 once a miss has asked for a refresh since the loop last started one: later misses do nothing.</summary>
    private int _missPending;

    private string? _lastFailure;
    private string? _lastNetlinkFailure;

    /// <param name="time">Clock for the refresh timers and <see cref="LastRefresh"/>.</param>
    /// <param name="logger">Refresh failures, once per distinct failure.</param>
    /// <param name="source">
    /// Reads the neighbours; throws on failure. Default: the host's tables (netlink, falling back
    /// to /proc/net/arp on Linux; nothing elsewhere).
    /// </param>
    /// <param name="refreshInterval">Periodic refresh; default 30 s.</param>
    /// <param name="minimumRefreshInterval">Least time between two refreshes started by misses; default 2 s.</param>
    public NeighbourTable(
        TimeProvider time,
        ILogger<NeighbourTable> logger,
        Func<IReadOnlyList<NeighbourEntry>>? source = null,
        TimeSpan? refreshInterval = null,
        TimeSpan? minimumRefreshInterval = null)
    {
        _time = time;
        _logger = logger;
        _hostSource = source is null;
        _source = source ?? ReadHost;
        _refreshInterval = refreshInterval ?? DefaultRefreshInterval;
        _minimumRefreshInterval = minimumRefreshInterval ?? DefaultMinimumRefreshInterval;
    }

    /// <summary>Entries in the current snapshot.</summary>
    public int Count => Volatile.Read(ref _table).Count;

    /// <summary>When the current snapshot was read; null until the first successful refresh.</summary>
    public DateTimeOffset? LastRefresh
    {
        get
        {
            long ticks = Volatile.Read(ref _lastRefreshTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>A lookup has missed (or <see cref="RequestRefresh"/> was called) since the background loop last started a refresh.</summary>
    public bool RefreshRequested => Volatile.Read(ref _missPending) != 0;

    /// <summary>
    /// Looks <paramref name="address"/> up in the current snapshot (the port is ignored). Never
    /// blocks or does I/O; a miss for a non-loopback address asks for a refresh.
    /// </summary>
    public bool TryGetMac(in ClientAddress address, out MacAddress mac)
    {
        if (Volatile.Read(ref _table).TryGetValue(Key(address), out mac))
        {
            return true;
        }

        // The host's own loopback traffic never has a neighbour entry: refreshing would not help.
        if (!IsLoopback(address))
        {
            RequestRefresh();
        }

        return false;
    }

    /// <summary>
    /// Asks the background loop for a refresh, which starts once <c>minimumRefreshInterval</c>
    /// has passed since the last one. Cheap and non-blocking: after the first request, further
    /// ones until that refresh starts only read a flag.
    /// </summary>
    public void RequestRefresh()
    {
        if (Volatile.Read(ref _missPending) == 0 && Interlocked.Exchange(ref _missPending, 1) == 0)
        {
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    /// <summary>
    /// Reads the source now and swaps in the new snapshot; on failure keeps the current one and
    /// logs the failure if it differs from the last. True when the snapshot was replaced.
    /// </summary>
    public bool Refresh()
    {
        lock (_refreshLock)
        {
            IReadOnlyList<NeighbourEntry> entries;
            try
            {
                entries = _source();
            }
            catch (Exception e)
            {
                string failure = Describe(e);
                if (failure != _lastFailure)
                {
                    _lastFailure = failure;
                    LogRefreshFailed(e, failure, Count);
                }

                return false;
            }

            var table = new Dictionary<UInt128, MacAddress>(entries.Count);
            foreach (NeighbourEntry entry in entries)
            {
                table[Key(entry.Address)] = entry.Mac;
            }

            Volatile.Write(ref _table, table.ToFrozenDictionary());
            Volatile.Write(ref _lastRefreshTicks, _time.GetUtcNow().UtcTicks);
            if (_lastFailure is not null)
            {
                _lastFailure = null;
                LogRecovered(table.Count);
            }

            LogRefreshed(table.Count);
            return true;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_hostSource && !OperatingSystem.IsLinux())
        {
            LogUnsupported();
            return;
        }

        using CancellationTokenRegistration stopping = stoppingToken.Register(
            static state => Volatile.Read(ref ((NeighbourTable)state!)._wake).TrySetResult(), this);
        try
        {
            while (true)
            {
                // A fresh wake-up, installed before the miss flag is cleared: a miss that sees
                // the cleared flag also sees this task. The periodic timer starts before the
                // source is read, so the period counts from the start of this refresh.
                var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Exchange(ref _wake, wake);
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                Volatile.Write(ref _missPending, 0);
                long started = _time.GetTimestamp();
                using (_time.CreateTimer(static state => ((TaskCompletionSource)state!).TrySetResult(), wake, _refreshInterval, Timeout.InfiniteTimeSpan))
                {
                    Refresh();
                    await wake.Task.ConfigureAwait(false);
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                // Woken by a miss soon after the last refresh: wait out the rest of the minimum interval.
                TimeSpan wait = _minimumRefreshInterval - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static UInt128 Key(in ClientAddress address) =>
        address.IsIPv4 ? MappedPrefix | (uint)address.Bits : address.Bits;

    private static bool IsLoopback(in ClientAddress address) =>
        address.IsIPv4 ? (uint)address.Bits >> 24 == 127 : address.Bits == UInt128.One;

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";

    /// <summary>The default source: netlink (IPv4 and IPv6), else /proc/net/arp (IPv4 only).</summary>
    private IReadOnlyList<NeighbourEntry> ReadHost()
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        try
        {
            IReadOnlyList<NeighbourEntry> entries = NetlinkNeighbourSource.Read();
            if (_lastNetlinkFailure is not null)
            {
                _lastNetlinkFailure = null;
                LogNetlinkRecovered();
            }

            return entries;
        }
        catch (Exception e)
        {
            string failure = Describe(e);
            if (failure != _lastNetlinkFailure)
            {
                _lastNetlinkFailure = failure;
                LogNetlinkFailed(e, failure);
            }
        }

        return ProcNetArpParser.Parse(File.ReadAllText(ProcNetArp));
    }

    [LoggerMessage(EventId = LogEventIds.Neighbours + 1, Level = LogLevel.Warning, Message = "Neighbour table refresh failed ({Reason}); keeping the last table ({Count} entries)")]
    private partial void LogRefreshFailed(Exception exception, string reason, int count);

    [LoggerMessage(EventId = LogEventIds.Neighbours + 2, Level = LogLevel.Information, Message = "Neighbour table refresh works again ({Count} entries)")]
    private partial void LogRecovered(int count);

    [LoggerMessage(EventId = LogEventIds.Neighbours + 3, Level = LogLevel.Warning, Message = "Netlink neighbour dump failed ({Reason}); reading /proc/net/arp instead (IPv4 only: IPv6 clients are not matched by MAC)")]
    private partial void LogNetlinkFailed(Exception exception, string reason);

    [LoggerMessage(EventId = LogEventIds.Neighbours + 4, Level = LogLevel.Information, Message = "Netlink neighbour dump works again")]
    private partial void LogNetlinkRecovered();

    [LoggerMessage(EventId = LogEventIds.Neighbours + 5, Level = LogLevel.Information, Message = "No neighbour table on this system: devices are matched by IP address only")]
    private partial void LogUnsupported();

    [LoggerMessage(EventId = LogEventIds.Neighbours + 6, Level = LogLevel.Debug, Message = "Neighbour table refreshed: {Count} entries")]
    private partial void LogRefreshed(int count);
}
