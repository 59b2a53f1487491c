using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// An encrypted upstream (DoT, DoH): a small pool of TLS connections, each carrying many queries
/// at once, reused while idle for less than the idle limit. A new connection is opened only when
/// none is open (queries arriving meanwhile wait for the one being opened) or all are busy. A
/// query that finds its pooled connection dead (EOF, reset, refused by a server going away, or
/// silent: nothing at all came back within half its time) is asked once more on a fresh
/// connection within what is left of its time. TLS sessions are resumed by .NET's session cache
/// on Linux (per TLS name; not when the name is an address).
/// </summary>
public abstract partial class EncryptedUpstream : IUpstream
{
    /// <summary>Queries in flight on one connection before another is opened.</summary>
    public const int BusyConnection = 64;

    public const int MaxConnections = 4;

    /// <summary>How long a query waits for room when every connection is at the server's limit, before looking again.</summary>
    private static readonly TimeSpan FullWait = TimeSpan.FromMilliseconds(5);

    private readonly ILogger _logger;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _idleLimit;
    private readonly List<EncryptedConnection> _connections = [];
    private readonly CancellationTokenSource _disposed = new();
    private Task<EncryptedConnection>? _opening;

    private protected EncryptedUpstream(UpstreamServer server, UpstreamTransportMetrics metrics, ILogger logger, TimeSpan connectTimeout, TimeSpan idleLimit)
    {
        Server = server;
        Metrics = metrics;
        _logger = logger;
        _connectTimeout = connectTimeout;
        _idleLimit = idleLimit;
    }

    public UpstreamServer Server { get; }

    private protected UpstreamTransportMetrics Metrics { get; }

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
        // No token or timer per query: the connection's own timer fails what passed its deadline.
        long started = Environment.TickCount64;
        long deadline = started + (long)timeout.TotalMilliseconds;
        bool fresh = false;
        PendingQuery? silentOne = null; // a query failed over for silence, still waiting on its old connection
        EncryptedConnection? silentOn = null;
        try
        {
            while (true)
            {
                EncryptedConnection connection = await GetConnectionAsync(fresh, deadline).ConfigureAwait(false);
                // A connection that was open before this query started may have died unseen; one
                // opened for it (or while it waited) has just proved itself in the handshake. On a
                // pooled one, the query fails over to a fresh connection once half its time has
                // passed with nothing at all arriving (the connection watches for that).
                bool pooled = connection.OpenedAt < started && !fresh;
                long silentAfter = pooled ? Environment.TickCount64 + Math.Max(1, (deadline - Environment.TickCount64) / 2) : long.MaxValue;
                if (!connection.TrySend(name, type, @class, dnssecOk, checkingDisabled, silentAfter, deadline, out PendingQuery pending, out bool first))
                {
                    if (!connection.IsDead && !connection.IsSuspect && !connection.IsDraining)
                    {
                        // Full, and no other connection could be opened for it: wait for room.
                        await Task.Delay(FullWait).ConfigureAwait(false);
                        if (Environment.TickCount64 >= deadline)
                        {
                            return null;
                        }
                    }

                    continue; // pick again (it ended, turned suspect, started going away, or was full)
                }

                if (!first)
                {
                    Metrics.ConnectionReused(Server);
                }

                try
                {
                    if (silentOne?.Late is { } late)
                    {
                        // The first answer wins: the retry's, or the slow connection's after all.
                        Task done = await Task.WhenAny(pending.Answer.Task, late.Task).ConfigureAwait(false);
                        if (done == late.Task && late.Task.IsCompletedSuccessfully)
                        {
                            connection.Forget(pending);
                            return late.Task.Result;
                        }
                    }

                    return await pending.Answer.Task.ConfigureAwait(false);
                }
                catch (IOException e) when ((pooled || (e is UnprocessedQueryException && !fresh)) && !_disposed.IsCancellationRequested
                    && Environment.TickCount64 < deadline)
                {
                    // Once: a dead pooled connection, or a query the server said it never processed.
                    if (e is SilentConnectionException)
                    {
                        (silentOne, silentOn) = (pending, connection);
                    }

                    LogRetry(Server.ProtocolLabel, Server, e.Message);
                    Metrics.Retried(Server, e is SilentConnectionException ? "silent" : e is UnprocessedQueryException ? "refused" : "dead");
                }

                fresh = true;
            }
        }
        catch (TimeoutException)
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
        GC.SuppressFinalize(this);
        await _disposed.CancelAsync().ConfigureAwait(false);
        EncryptedConnection[] all;
        lock (_connections)
        {
            all = [.. _connections];
            _connections.Clear();
        }

        foreach (EncryptedConnection connection in all)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The least busy open connection (unless <paramref name="fresh"/>), else the one being opened,
    /// else a new one. Drops ended connections and closes those idle past the idle limit.
    /// </summary>
    private async Task<EncryptedConnection> GetConnectionAsync(bool fresh, long deadline)
    {
        Task<EncryptedConnection>? opening;
        List<EncryptedConnection>? closing = null;
        EncryptedConnection? pick = null;
        lock (_connections)
        {
            for (int i = _connections.Count - 1; i >= 0; i--)
            {
                EncryptedConnection connection = _connections[i];
                if (connection.IsDead || (connection.InFlight == 0 && (connection.IsSuspect || connection.IsDraining || connection.Idle >= _idleLimit)))
                {
                    _connections.RemoveAt(i);
                    (closing ??= []).Add(connection);
                }
            }

            if (!fresh)
            {
                int live = 0;
                foreach (EncryptedConnection connection in _connections)
                {
                    if (connection.IsSuspect || connection.IsDraining)
                    {
                        continue;
                    }

                    live++;
                    if (pick is null || connection.Load < pick.Load)
                    {
                        pick = connection;
                    }
                }

                if (pick is not null && pick.Load >= Math.Min(BusyConnection, pick.Capacity) && (_opening is not null || live < MaxConnections))
                {
                    pick = null; // busy: wait for, or open, another
                }
            }

            opening = pick is null ? _opening ??= OpenAsync() : null;
        }

        foreach (EncryptedConnection connection in closing ?? [])
        {
            _ = connection.DisposeAsync().AsTask();
        }

        if (pick is not null)
        {
            return pick;
        }

        TimeSpan left = TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
        return await opening!.WaitAsync(left, _disposed.Token).ConfigureAwait(false); // TimeoutException when out of time
    }

    private async Task<EncryptedConnection> OpenAsync()
    {
        await Task.Yield(); // not under the caller's lock
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            cts.CancelAfter(_connectTimeout);
            EncryptedConnection connection = await OpenConnectionAsync(cts.Token).ConfigureAwait(false);
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
                throw new ObjectDisposedException(nameof(EncryptedUpstream));
            }

            return connection;
        }
        catch (Exception e)
        {
            lock (_connections)
            {
                _opening = null;
            }

            LogConnectFailed(Server.ProtocolLabel, Server, e.Message);
            throw;
        }
    }

    /// <summary>Opens a connection and completes its handshake.</summary>
    private protected abstract Task<EncryptedConnection> OpenConnectionAsync(CancellationToken token);

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 10, Level = LogLevel.Debug, Message = "{Protocol} {Server}: a pooled connection was dead ({Reason}); asking again on a fresh one")]
    private partial void LogRetry(string protocol, UpstreamServer server, string reason);

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 11, Level = LogLevel.Debug, Message = "{Protocol} {Server}: connecting failed: {Reason}")]
    private partial void LogConnectFailed(string protocol, UpstreamServer server, string reason);
}
