using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;

namespace MiSinkhole.Transport;

/// <summary>
/// Answers DNS over TCP on one address (RFC 7766), or over TLS (RFC 7858) with a
/// <see cref="DotHandshake"/>: closes a stranger's connection (outside
/// <c>Dns:AllowedClients</c>) as soon as it is accepted, before reading a byte; accepts connections
/// up to a cap overall and a cap per client (<c>Dns:TcpMaxConnectionsPerClient</c>, clients grouped
/// as <c>RateLimit</c> groups them, exempt ones not counted), then serves each one in its own
/// asynchronous loop, so a stalled client never holds up UDP or other clients.
/// </summary>
public sealed partial class TcpDnsListener : IDisposable
{
    private readonly QueryPipeline _pipeline;
    private readonly QueryContextPool _pool;
    private readonly DnsServerOptions _options;
    private readonly RateLimitOptions _limits;
    private readonly Dictionary<(UInt128, bool), int> _perClient = [];
    private readonly ILogger _logger;
    private readonly ClientAnonymizer _anonymizer;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly DotHandshake? _tls;
    private int _connections;
    private Task _acceptLoop = Task.CompletedTask;

    /// <param name="tls">For a DoT listener, its handshake; null: plain TCP.</param>
    public TcpDnsListener(IPEndPoint endPoint, QueryPipeline pipeline, QueryContextPool pool, SinkholeOptions options, ILogger logger, ClientAnonymizer anonymizer,
        DotHandshake? tls = null)
    {
        _tls = tls;
        _anonymizer = anonymizer;
        _pipeline = pipeline;
        _pool = pool;
        _options = options.Dns;
        _limits = options.RateLimit;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _socket.DualMode = false;
        }

        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections open now (counted from accept to close).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public void Start() => _acceptLoop = AcceptLoopAsync();

    public void Stop()
    {
        _stopping.Cancel();
        _socket.Dispose();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // the accept loop ends with the socket
        }
    }

    public void Dispose()
    {
        if (!_stopping.IsCancellationRequested)
        {
            Stop();
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(e.SocketErrorCode);
                continue;
            }

            if (client.RemoteEndPoint is not IPEndPoint remote)
            {
                client.Dispose(); // reset before we looked at it: nothing to serve
                continue;
            }

            ClientAddress address = ClientAddress.FromEndPoint(remote);
            if (!_options.AllowedClients.Contains(address))
            {
                client.Dispose(); // a stranger: closed before a byte is read
                continue;
            }

            if (Interlocked.Increment(ref _connections) > _options.TcpMaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                LogConnectionRefused(_options.TcpMaxConnections);
                client.Dispose();
                continue;
            }

            (UInt128, bool)? group = _limits.Exempt.Contains(address) ? null : _limits.Group(address);
            if (group is { } key && !TryCountClient(key))
            {
                Interlocked.Decrement(ref _connections);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
#pragma warning disable CA1873 // guarded by the IsEnabled check above, which the analyzer does not see through
                    LogClientConnectionRefused(_anonymizer.Show(address), _options.TcpMaxConnectionsPerClient); // a token when anonymising
#pragma warning restore CA1873
                }

                client.Dispose();
                continue;
            }

            _ = RunConnectionAsync(client, address, group);
        }
    }

    /// <summary>Counts one more connection of the client's group; false when it holds its cap already.</summary>
    private bool TryCountClient((UInt128, bool) key)
    {
        lock (_perClient)
        {
            int open = _perClient.GetValueOrDefault(key);
            if (open >= _options.TcpMaxConnectionsPerClient)
            {
                return false;
            }

            _perClient[key] = open + 1;
            return true;
        }
    }

    /// <summary>A connection ended: one less overall, and one less for its client's group.</summary>
    private void Release((UInt128, bool)? group)
    {
        Interlocked.Decrement(ref _connections);
        if (group is not { } key)
        {
            return;
        }

        lock (_perClient)
        {
            if (_perClient.TryGetValue(key, out int open) && open > 1)
            {
                _perClient[key] = open - 1;
            }
            else
            {
                _perClient.Remove(key);
            }
        }
    }

    private async Task RunConnectionAsync(Socket client, ClientAddress address, (UInt128, bool)? group)
    {
        TcpDnsConnection? connection = null;
        try
        {
            System.Net.Security.SslStream? tls = null;
            string? clientId = null;
            if (_tls is not null)
            {
                // Bounded in time and in number (DotHandshake): a slow client holds only its own connection.
                if (await _tls.RunAsync(client, _stopping.Token).ConfigureAwait(false) is not { } done)
                {
                    return;
                }

                (tls, clientId) = done;
            }

            connection = new TcpDnsConnection(client, address, _pipeline, _pool, _options, _stopping.Token, tls, clientId);
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (SocketException) when (connection is null)
        {
            client.Dispose(); // reset before we looked at it: nothing to serve
        }
        catch (Exception e)
        {
            LogConnectionFailed(e);
        }
        finally
        {
            connection?.Dispose();
            Release(group);
        }
    }

    [LoggerMessage(EventId = LogEventIds.Tcp + 1, Level = LogLevel.Warning, Message = "TCP accept failed: {Error}")]
    private partial void LogAcceptFailed(SocketError error);

    [LoggerMessage(EventId = LogEventIds.Tcp + 2, Level = LogLevel.Warning, Message = "TCP connection limit ({Limit}) reached; connection closed")]
    private partial void LogConnectionRefused(int limit);

    [LoggerMessage(EventId = LogEventIds.Tcp + 4, Level = LogLevel.Debug, Message = "TCP connection from {Client} closed: it holds its {Limit} connections already")]
    private partial void LogClientConnectionRefused(string client, int limit);

    [LoggerMessage(EventId = LogEventIds.Tcp + 3, Level = LogLevel.Debug, Message = "TCP connection ended with an error")]
    private partial void LogConnectionFailed(Exception exception);
}
