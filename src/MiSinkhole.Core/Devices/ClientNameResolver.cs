using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Names the clients that no configured device covers, for the device inventory: from DHCP lease
/// files (dnsmasq or ISC dhcpd, read again when they change), else from a PTR query to the
/// configured name server (usually the router, which knows its DHCP clients). <see cref="TryGetName"/>
/// runs on the query path, so it only reads what is already known; an address it does not know
/// yet is queued for one background PTR lookup and named on a later call. PTR results are kept for
/// <see cref="ClientNameOptions.NameTtl"/>, "no name" for <see cref="ClientNameOptions.NegativeTtl"/>,
/// so a router that does not answer is asked about each address only that often.
/// </summary>
public sealed partial class ClientNameResolver : BackgroundService, IClientNames
{
    /// <summary>PTR lookups in flight at once (a silent router costs one timeout per batch, not per address).</summary>
    private const int ConcurrentLookups = 4;

    private readonly ClientNameOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClientNameResolver> _logger;
    private readonly SocketUdpExchange _exchange = new();
    private readonly Dictionary<string, (DateTime Stamp, long Length, IReadOnlyList<LeaseEntry> Entries)> _files = [];
    private readonly ConcurrentDictionary<ClientAddress, (string? Name, DateTimeOffset Expires)> _cache = new();
    private readonly ConcurrentDictionary<ClientAddress, byte> _pending = new();
    private readonly Channel<ClientAddress> _queue;
    private volatile FrozenDictionary<ClientAddress, LeaseEntry> _leaseNames = FrozenDictionary<ClientAddress, LeaseEntry>.Empty;
    private long _lookupsSent;
    private long _lookupsCompleted;
    private long _lookupsUnanswered;
    private long _lookupsDropped;
    private int _serverSilent;

    public ClientNameResolver(ClientNameOptions options, TimeProvider time, ILogger<ClientNameResolver> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<ClientAddress>(new BoundedChannelOptions(Math.Max(1, options.LookupQueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refuse (and count) instead of waiting
            SingleReader = true,
        });
    }

    /// <summary>Addresses the lease files name (leases that ran out included, until their file changes; they are not used).</summary>
    public int LeaseNameCount => _leaseNames.Count;

    /// <summary>PTR results kept (names and "no name"), expired ones included until the next prune.</summary>
    public int CachedNameCount => _cache.Count;

    /// <summary>PTR queries sent since start.</summary>
    public long LookupsSent => Interlocked.Read(ref _lookupsSent);

    /// <summary>PTR lookups finished (answered or not) since start.</summary>
    public long LookupsCompleted => Interlocked.Read(ref _lookupsCompleted);

    /// <summary>PTR queries the name server did not answer in time.</summary>
    public long LookupsUnanswered => Interlocked.Read(ref _lookupsUnanswered);

    /// <summary>Unknown addresses not looked up because the queue was full.</summary>
    public long LookupsDropped => Interlocked.Read(ref _lookupsDropped);

    /// <summary>Called after each PTR lookup has been stored (tests wait on it).</summary>
    internal Action<ClientAddress, string?>? LookupCompleted { get; set; }

    /// <summary>
    /// The client's name from a current lease, else from a PTR result; null when none is known
    /// (yet). Never waits and does no I/O: an address without a fresh PTR result is queued for a
    /// background lookup (once; a stale name is still returned meanwhile).
    /// </summary>
    public string? TryGetName(in ClientAddress address)
    {
        if (_options.Off)
        {
            return null;
        }

        ClientAddress key = address with { Port = 0 };
        DateTimeOffset now = _time.GetUtcNow();
        if (_leaseNames.TryGetValue(key, out LeaseEntry? lease) && lease.IsCurrent(now))
        {
            return lease.HostName;
        }

        if (_options.NameServer is null)
        {
            return null;
        }

        if (_cache.TryGetValue(key, out (string? Name, DateTimeOffset Expires) cached) && cached.Expires > now)
        {
            return cached.Name;
        }

        Enqueue(key);
        return cached.Name;
    }

    /// <summary>
    /// Reads every lease file whose modification time or size changed since it was last read (all
    /// of them the first time) and publishes the merged names. True when anything was read again.
    /// </summary>
    public bool ReloadLeaseFiles()
    {
        lock (_files)
        {
            bool changed = false;
            foreach (string path in _options.LeaseFiles)
            {
                var info = new FileInfo(path);
                (DateTime stamp, long length) = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
                bool known = _files.TryGetValue(path, out var previous);
                if (known && previous.Stamp == stamp && previous.Length == length)
                {
                    continue;
                }

                IReadOnlyList<LeaseEntry> entries = [];
                if (length < 0)
                {
                    LogLeaseFileMissing(path);
                }
                else
                {
                    try
                    {
                        (entries, string format) = LeaseFile.Parse(ReadShared(path));
                        int named = entries.Count(e => e.HostName is not null);
                        LogLeaseFileLoaded(path, named, entries.Count, format);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Retried when the file changes again (not every check: that would log every few seconds).
                        entries = known ? previous.Entries : [];
                        LogLeaseFileUnreadable(path, e.Message);
                    }
                }

                _files[path] = (stamp, length, entries);
                changed = true;
            }

            if (changed)
            {
                Publish();
            }

            return changed;
        }
    }

    /// <summary>
    /// Asks the name server for the PTR record of <paramref name="address"/> now (no queue) and
    /// keeps the result. Null when there is no name server, no answer or no name.
    /// </summary>
    public async Task<string?> LookupAsync(ClientAddress address, CancellationToken cancellationToken)
    {
        if (_options.NameServer is not { } server)
        {
            return null;
        }

        ClientAddress key = address with { Port = 0 };
        string reverse = PtrNames.ReverseName(key);
        byte[] name = DnsName.FromText(reverse);
        ushort id = UpstreamQuery.NewId();
        byte[] query = UpstreamQuery.Build(id, name, DnsRecordType.PTR, 1, dnssecOk: false, checkingDisabled: false);
        Interlocked.Increment(ref _lookupsSent);
        DnsAnswer? answer = await _exchange.ExchangeAsync(server, query, id, name, DnsRecordType.PTR, 1, _options.LookupTimeout)
            .WaitAsync(cancellationToken).ConfigureAwait(false);

        string? result = null;
        if (answer is null)
        {
            Interlocked.Increment(ref _lookupsUnanswered);
            if (Interlocked.Exchange(ref _serverSilent, 1) == 0)
            {
                LogServerSilent(server, key, _options.LookupTimeout);
            }
        }
        else
        {
            if (Interlocked.Exchange(ref _serverSilent, 0) == 1)
            {
                LogServerAnswers(server);
            }

            result = answer.Rcode == DnsResponseCode.NoError ? PtrNames.ReadPtr(answer) : null;
            if (result is null)
            {
                LogNoName(key, reverse, answer.Rcode);
            }
            else
            {
                LogNamed(key, result);
            }
        }

        TimeSpan ttl = result is null ? _options.NegativeTtl : _options.NameTtl;
        _cache[key] = (result, _time.GetUtcNow() + ttl);
        Interlocked.Increment(ref _lookupsCompleted);
        LookupCompleted?.Invoke(key, result);
        return result;
    }

    /// <summary>Drops expired PTR results, then the soonest-expiring ones beyond <see cref="ClientNameOptions.MaxCachedNames"/>.</summary>
    public void PruneCache()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (KeyValuePair<ClientAddress, (string? Name, DateTimeOffset Expires)> entry in _cache)
        {
            if (entry.Value.Expires <= now)
            {
                _cache.TryRemove(entry);
            }
        }

        int excess = _cache.Count - _options.MaxCachedNames;
        if (excess > 0)
        {
            foreach (KeyValuePair<ClientAddress, (string? Name, DateTimeOffset Expires)> entry in _cache.OrderBy(e => e.Value.Expires).Take(excess).ToList())
            {
                _cache.TryRemove(entry);
            }
        }
    }

    /// <summary>Runs the queued lookups (a few at a time) until the queue is empty; how many ran.</summary>
    internal async Task<int> ProcessQueuedLookupsAsync(CancellationToken cancellationToken)
    {
        int processed = 0;
        var batch = new List<Task>(ConcurrentLookups);
        while (_queue.Reader.TryRead(out ClientAddress address))
        {
            processed++;
            batch.Add(LookupQueuedAsync(address, cancellationToken));
            if (batch.Count == ConcurrentLookups)
            {
                await Task.WhenAll(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }

        await Task.WhenAll(batch).ConfigureAwait(false);
        return processed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(WatchLeaseFilesAsync(stoppingToken), RunLookupsAsync(stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task WatchLeaseFilesAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = _options.LeaseCheckInterval > TimeSpan.Zero ? _options.LeaseCheckInterval : TimeSpan.FromSeconds(10);
        using var timer = new PeriodicTimer(interval, _time);
        do
        {
            try
            {
                ReloadLeaseFiles();
                PruneCache();
            }
            catch (Exception e)
            {
                LogRefreshFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task RunLookupsAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await ProcessQueuedLookupsAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(e);
            }
        }
    }

    private async Task LookupQueuedAsync(ClientAddress address, CancellationToken cancellationToken)
    {
        try
        {
            await LookupAsync(address, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(address, out _);
        }
    }

    private void Enqueue(in ClientAddress key)
    {
        if (!_pending.TryAdd(key, 0))
        {
            return; // already queued or in flight
        }

        if (!_queue.Writer.TryWrite(key))
        {
            _pending.TryRemove(key, out _);
            Interlocked.Increment(ref _lookupsDropped);
            LogQueueFull(key);
        }
    }

    /// <summary>Merges the files' named leases; where files disagree, the lease that lasts longer wins.</summary>
    private void Publish()
    {
        var names = new Dictionary<ClientAddress, LeaseEntry>();
        foreach (var file in _files.Values)
        {
            foreach (LeaseEntry entry in file.Entries)
            {
                if (entry.HostName is null)
                {
                    continue;
                }

                if (!names.TryGetValue(entry.Address, out LeaseEntry? other)
                    || (other.Expires is { } otherEnds && (entry.Expires is not { } ends || ends > otherEnds)))
                {
                    names[entry.Address] = entry;
                }
            }
        }

        _leaseNames = names.ToFrozenDictionary();
    }

    /// <summary>Reads a file another process may be rewriting (dnsmasq truncates and rewrites in place).</summary>
    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [LoggerMessage(EventId = LogEventIds.ClientNames + 1, Level = LogLevel.Information, Message = "Lease file {File}: {Names} names from {Leases} leases ({Format})")]
    private partial void LogLeaseFileLoaded(string file, int names, int leases, string format);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 2, Level = LogLevel.Warning, Message = "Lease file {File} cannot be read ({Reason}); keeping its previous leases until it changes")]
    private partial void LogLeaseFileUnreadable(string file, string reason);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 3, Level = LogLevel.Warning, Message = "Lease file {File} does not exist; it is read once it appears")]
    private partial void LogLeaseFileMissing(string file);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 4, Level = LogLevel.Debug, Message = "Client {Address} is {Name} (PTR)")]
    private partial void LogNamed(ClientAddress address, string name);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 5, Level = LogLevel.Debug, Message = "Client {Address}: no name for {ReverseName} (rcode {Rcode})")]
    private partial void LogNoName(ClientAddress address, string reverseName, int rcode);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 6, Level = LogLevel.Warning, Message = "Name server {Server} did not answer the PTR query for {Address} within {Timeout}; clients without a lease stay unnamed while it does not answer")]
    private partial void LogServerSilent(IPEndPoint server, ClientAddress address, TimeSpan timeout);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 7, Level = LogLevel.Information, Message = "Name server {Server} answers PTR queries again")]
    private partial void LogServerAnswers(IPEndPoint server);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 8, Level = LogLevel.Debug, Message = "Name lookup queue is full; {Address} is not looked up now")]
    private partial void LogQueueFull(ClientAddress address);

    [LoggerMessage(EventId = LogEventIds.ClientNames + 9, Level = LogLevel.Error, Message = "Client name refresh failed")]
    private partial void LogRefreshFailed(Exception exception);
}
