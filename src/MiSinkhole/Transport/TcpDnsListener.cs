using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Transport;

/// <summary>
/// Answers DNS over TCP on one address (RFC 7766): accepts connections up to a cap, then serves
/// each one in its own asynchronous loop, so a stalled client never holds up UDP or other clients.
/// </summary>
public sealed partial class TcpDnsListener : IDisposable
{
    private readonly QueryPipeline _pipeline;
    private readonly QueryContextPool _pool;
    private readonly DnsServerOptions _options;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private int _connections;
    private Task _acceptLoop = Task.CompletedTask;

    public TcpDnsListener(IPEndPoint endPoint, QueryPipeline pipeline, QueryContextPool pool, DnsServerOptions options, ILogger logger)
    {
        _pipeline = pipeline;
        _pool = pool;
        _options = options;
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

            if (Interlocked.Increment(ref _connections) > _options.TcpMaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                LogConnectionRefused(_options.TcpMaxConnections);
                client.Dispose();
                continue;
            }

            TcpDnsConnection connection;
            try
            {
                connection = new TcpDnsConnection(client, _pipeline, _pool, _options, _stopping.Token);
            }
            catch (SocketException)
            {
                // Reset before we looked at it: nothing to serve.
                Interlocked.Decrement(ref _connections);
                client.Dispose();
                continue;
            }

            _ = RunConnectionAsync(connection);
        }
    }

    private async Task RunConnectionAsync(TcpDnsConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogConnectionFailed(e);
        }
        finally
        {
            connection.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    [LoggerMessage(EventId = LogEventIds.Tcp + 1, Level = LogLevel.Warning, Message = "TCP accept failed: {Error}")]
    private partial void LogAcceptFailed(SocketError error);

    [LoggerMessage(EventId = LogEventIds.Tcp + 2, Level = LogLevel.Warning, Message = "TCP connection limit ({Limit}) reached; connection closed")]
    private partial void LogConnectionRefused(int limit);

    [LoggerMessage(EventId = LogEventIds.Tcp + 3, Level = LogLevel.Debug, Message = "TCP connection ended with an error")]
    private partial void LogConnectionFailed(Exception exception);
}
