using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// DNS over TLS to one server (RFC 7858): a small pool of TLS connections, each carrying many
/// queries at once (matched by ID), reused while idle for less than <see cref="IdleLimit"/>
/// (public resolvers close idle DoT connections after about 10 s). A new connection is opened
/// only when none is open (queries arriving meanwhile wait for the one being opened) or all are
/// busy. A query that finds its pooled connection dead (EOF, reset, or silent: nothing at all came
/// back within half its time) is asked once more on a fresh connection within what is left of its
/// time. TLS sessions are resumed by .NET's session cache on Linux (per TLS name; not when the
/// name is an address).
/// </summary>
public sealed partial class DotUpstream : IUpstream
{
    /// <summary>An idle connection is closed instead of reused after this long (below the ~10 s of public resolvers).</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(8);

    /// <summary>Queries in flight on one connection before another is opened.</summary>
    public const int BusyConnection = 64;

    public const int MaxConnections = 4;

    private readonly BootstrapAddresses? _bootstrap;
    private readonly UpstreamCertificates _certificates;
    private readonly UpstreamTransportMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _idleLimit;
    private readonly List<DotConnection> _connections = [];
    private readonly CancellationTokenSource _disposed = new();
    private Task<DotConnection>? _opening;

    public DotUpstream(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates, UpstreamTransportMetrics metrics,
        ILogger logger, TimeSpan connectTimeout, TimeSpan? idleLimit = null)
    {
        _idleLimit = idleLimit ?? IdleLimit;
        Server = server.Protocol == UpstreamProtocol.Tls ? server : throw new ArgumentException("not a tls:// upstream", nameof(server));
        _bootstrap = bootstrap;
        _certificates = certificates;
        _metrics = metrics;
        _logger = logger;
        _connectTimeout = connectTimeout;
    }

    public UpstreamServer Server { get; }

    /// <summary>Connections open now (for tests and diagnostics).</summary>
    public int OpenConnections
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count(c => !c.IsDead);
            }
        }
    }

    public async Task<DnsAnswer?> ExchangeAsync(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        cts.CancelAfter(timeout);
        long started = Environment.TickCount64;
        long deadline = started + (long)timeout.TotalMilliseconds;
        bool fresh = false;
        DotPending? silentOne = null; // a query failed over for silence, still waiting on its old connection
        DotConnection? silentOn = null;
        try
        {
            while (true)
            {
                DotConnection connection = await GetConnectionAsync(fresh, cts.Token).ConfigureAwait(false);
                // A connection that was open before this query started may have died unseen; one
                // opened for it (or while it waited) has just proved itself in the handshake. On a
                // pooled one, the query fails over to a fresh connection once half its time has
                // passed with nothing at all arriving (the connection watches for that).
                bool pooled = connection.OpenedAt < started && !fresh;
                long silentAfter = pooled ? Environment.TickCount64 + Math.Max(1, (deadline - Environment.TickCount64) / 2) : long.MaxValue;
                if (!connection.TrySend(name, type, @class, dnssecOk, checkingDisabled, silentAfter, out DotPending pending, out bool first))
                {
                    continue; // it ended or turned suspect just now: pick again
                }

                if (!first)
                {
                    _metrics.ConnectionReused(Server);
                }

                try
                {
                    if (silentOne?.Late is { } late)
                    {
                        // The first answer wins: the retry's, or the slow connection's after all.
                        Task done = await Task.WhenAny(pending.Answer.Task, late.Task).WaitAsync(cts.Token).ConfigureAwait(false);
                        if (done == late.Task && late.Task.IsCompletedSuccessfully)
                        {
                            connection.Forget(pending);
                            return late.Task.Result;
                        }
                    }

                    return await pending.Answer.Task.WaitAsync(cts.Token).ConfigureAwait(false);
                }
                catch (IOException e) when (pooled && !cts.IsCancellationRequested)
                {
                    if (e is DotSilentException)
                    {
                        (silentOne, silentOn) = (pending, connection);
                    }

                    LogRetry(Server, e.Message);
                }
                catch (OperationCanceledException)
                {
                    connection.Forget(pending);
                    throw;
                }

                fresh = true;
                _metrics.Retried(Server);
            }
        }
        catch (OperationCanceledException) when (!_disposed.IsCancellationRequested)
        {
            return null; // out of time
        }
        finally
        {
            if (silentOne is not null)
            {
                silentOn!.Forget(silentOne);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        DotConnection[] all;
        lock (_connections)
        {
            all = [.. _connections];
            _connections.Clear();
        }

        foreach (DotConnection connection in all)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The least busy open connection (unless <paramref name="fresh"/>), else the one being opened,
    /// else a new one. Drops ended connections and closes those idle past the idle limit.
    /// </summary>
    private async Task<DotConnection> GetConnectionAsync(bool fresh, CancellationToken token)
    {
        Task<DotConnection>? opening;
        List<DotConnection>? closing = null;
        DotConnection? pick = null;
        lock (_connections)
        {
            for (int i = _connections.Count - 1; i >= 0; i--)
            {
                DotConnection connection = _connections[i];
                if (connection.IsDead || (connection.InFlight == 0 && (connection.IsSuspect || connection.Idle >= _idleLimit)))
                {
                    _connections.RemoveAt(i);
                    (closing ??= []).Add(connection);
                }
            }

            if (!fresh)
            {
                int live = 0;
                foreach (DotConnection connection in _connections)
                {
                    if (connection.IsSuspect)
                    {
                        continue;
                    }

                    live++;
                    if (pick is null || connection.InFlight < pick.InFlight)
                    {
                        pick = connection;
                    }
                }

                if (pick is not null && pick.InFlight >= BusyConnection && (_opening is not null || live < MaxConnections))
                {
                    pick = null; // busy: wait for, or open, another
                }
            }

            opening = pick is null ? _opening ??= OpenAsync() : null;
        }

        foreach (DotConnection connection in closing ?? [])
        {
            _ = connection.DisposeAsync().AsTask();
        }

        return pick ?? await opening!.WaitAsync(token).ConfigureAwait(false);
    }

    private async Task<DotConnection> OpenAsync()
    {
        await Task.Yield(); // not under the caller's lock
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            cts.CancelAfter(_connectTimeout);
            DotConnection connection = await DotConnection.OpenAsync(Server, _bootstrap, _certificates, _metrics, cts.Token).ConfigureAwait(false);
            bool disposed;
            lock (_connections)
            {
                disposed = _disposed.IsCancellationRequested;
                if (!disposed)
                {
                    _connections.Add(connection);
                }

                _opening = null;
            }

            if (disposed)
            {
                await connection.DisposeAsync().ConfigureAwait(false); // finished while the upstream was being disposed
                throw new ObjectDisposedException(nameof(DotUpstream));
            }

            return connection;
        }
        catch (Exception e)
        {
            lock (_connections)
            {
                _opening = null;
            }

            LogConnectFailed(Server, e.Message);
            throw;
        }
    }

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 10, Level = LogLevel.Debug, Message = "DoT {Server}: a pooled connection was dead ({Reason}); asking again on a fresh one")]
    private partial void LogRetry(UpstreamServer server, string reason);

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 11, Level = LogLevel.Debug, Message = "DoT {Server}: connecting failed: {Reason}")]
    private partial void LogConnectFailed(UpstreamServer server, string reason);
}
