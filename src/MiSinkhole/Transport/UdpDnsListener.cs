using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Accounting;

namespace MiSinkhole.Transport;

/// <summary>
/// Answers DNS over UDP on one address. Dedicated threads receive synchronously into pooled
/// contexts and run the chain inline: local answers (blocks, cache hits, errors) go back from the
/// same thread without a task or an allocation; only queries that wait on an upstream continue
/// asynchronously and reply from the thread that completes them. (Measured with a bare answering
/// loop, blocked-query file, server on one core: synchronous ReceiveFrom/SendTo with a reused
/// SocketAddress about 184k queries per CPU-second, ReceiveFromAsync/SendToAsync about 118k.)
/// On Linux the threads take queries in batches with recvmmsg and send the answers that were
/// ready at once with sendmmsg (<see cref="NativeUdpBatch"/>); wildcard addresses carry PKTINFO
/// there to reply from the address the query was sent to.
/// </summary>
public sealed partial class UdpDnsListener : IDisposable
{
    private readonly QueryPipeline _pipeline;
    private readonly QueryContextPool _pool;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly bool _native;
    private readonly List<Thread> _threads = [];
    private volatile bool _stopping;

    private readonly QueryMetrics _metrics;
    private readonly Action<QueryContext> _answered;

    public UdpDnsListener(IPEndPoint endPoint, QueryPipeline pipeline, QueryContextPool pool, ILogger logger, QueryMetrics metrics)
    {
        _metrics = metrics;
        _answered = Answered;
        _pipeline = pipeline;
        _pool = pool;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _socket.DualMode = false; // [::] and 0.0.0.0 are separate listeners
        }

        _socket.ReceiveBufferSize = 4 << 20;
        _socket.SendBufferSize = 4 << 20;
        bool wildcard = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any);
        _native = wildcard && NativeUdp.IsSupported;
        if (_native)
        {
            _socket.SetSocketOption(
                endPoint.AddressFamily == AddressFamily.InterNetwork ? SocketOptionLevel.IP : SocketOptionLevel.IPv6,
                SocketOptionName.PacketInformation,
                true);
        }

        _socket.Bind(endPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start(int threads)
    {
        for (int i = 0; i < threads; i++)
        {
            var thread = new Thread(NativeUdp.IsSupported ? BatchReceiveLoop : ReceiveLoop) { IsBackground = true, Name = $"dns-udp-{LocalEndPoint.Port}-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    public void Stop()
    {
        _stopping = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // not connected: fine, the receive timeout ends the loops
        }

        foreach (Thread thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    public void Dispose()
    {
        if (!_stopping)
        {
            Stop();
        }

        _socket.Dispose();
    }

    private void ReceiveLoop()
    {
        _socket.ReceiveTimeout = 500;
        byte[] scratch = new byte[QueryContext.DefaultBufferSize];
        var scratchAddress = new SocketAddress(AddressFamily.InterNetworkV6);
        QueryContext? context = null;
        while (!_stopping)
        {
            context ??= _pool.TryRent();
            if (context is null)
            {
                // Every context is waiting on upstreams: read and drop so the socket does not back up.
                if (TryReceiveInto(scratch, scratchAddress, out _))
                {
                    _metrics.RecordDropped(DnsTransport.Udp);
                }

                continue;
            }

            if (!TryReceive(context))
            {
                continue;
            }

            if (Process(context))
            {
                Reply(context);
                context.Reset();
                continue;
            }

            context = null;
        }

        if (context is not null)
        {
            _pool.Return(context);
        }
    }

    /// <summary>
    /// The Linux loop: recvmmsg takes up to <see cref="NativeUdpBatch.Capacity"/> queries at once,
    /// each runs the chain inline in turn, and the answers that were ready at once leave together
    /// through one sendmmsg; a query that waits on an upstream keeps its context and replies alone.
    /// </summary>
    private void BatchReceiveLoop()
    {
        _socket.ReceiveTimeout = 500;
        using var batch = new NativeUdpBatch(_native);
        QueryContext? context = null;
        while (!_stopping)
        {
            int received;
            try
            {
                received = batch.Receive(_socket.SafeHandle);
            }
            catch (ObjectDisposedException)
            {
                break; // stopping
            }

            long receivedAt = received > 0 ? Stopwatch.GetTimestamp() : 0; // one clock read for the batch
            for (int i = 0; i < received; i++)
            {
                context ??= _pool.TryRent();
                if (context is null)
                {
                    _metrics.RecordDropped(DnsTransport.Udp); // every context is waiting on upstreams
                    continue;
                }

                ReadOnlySpan<byte> datagram = batch.Received(i, out ReadOnlySpan<byte> remote, out PacketInfo local);
                datagram.CopyTo(context.RequestBuffer);
                SocketAddress address = context.RemoteAddress;
                remote.CopyTo(address.Buffer.Span);
                address.Size = remote.Length;
                context.LocalAddress = local;
                context.RequestLength = datagram.Length;
                context.Transport = DnsTransport.Udp;
                context.ReceivedAt = receivedAt;
                context.Client = ClientAddress.FromSocketAddress(address);
                if (Process(context))
                {
                    if (context.ResponseLength > 0 && !batch.TryQueue(context.Response, remote, local))
                    {
                        Reply(context);
                    }

                    context.Reset();
                }
                else
                {
                    context = null; // completes (and replies) asynchronously with its own context
                }
            }

            if (batch.Queued > 0)
            {
                try
                {
                    batch.Flush(_socket.SafeHandle);
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
            }
        }

        if (context is not null)
        {
            _pool.Return(context);
        }
    }

    /// <summary>Runs the chain; true when the context is done now (answer written or none), false when it went asynchronous.</summary>
    private bool Process(QueryContext context)
    {
        ValueTask pending;
        try
        {
            pending = _pipeline.ProcessAsync(context);
        }
        catch (Exception e)
        {
            LogQueryFailed(e);
            context.ResponseLength = 0;
            return true;
        }

        if (pending.IsCompletedSuccessfully)
        {
            return true;
        }

        context.WhenDone(pending, _answered);
        return false;
    }

    /// <summary>The portable loop's receive (elsewhere than Linux, so never with PKTINFO: <see cref="_native"/> is false there).</summary>
    private bool TryReceive(QueryContext context)
    {
        SocketAddress remote = context.RemoteAddress;
        remote.Size = remote.Buffer.Length;
        if (!TryReceiveInto(context.RequestBuffer, remote, out int received))
        {
            return false;
        }

        context.RequestLength = received;
        context.Transport = DnsTransport.Udp;
        context.Client = ClientAddress.FromSocketAddress(remote);
        return true;
    }

    private bool TryReceiveInto(byte[] buffer, SocketAddress remote, out int received)
    {
        try
        {
            received = _socket.ReceiveFrom(buffer, SocketFlags.None, remote);
            return true;
        }
        catch (SocketException)
        {
            // Timeouts (to notice Stop), ICMP port-unreachable resets from earlier replies, shutdown.
            received = 0;
            return false;
        }
        catch (ObjectDisposedException)
        {
            received = 0;
            return false;
        }
    }

    /// <summary>A query that waited on an upstream is answered (on the thread that completed it).</summary>
    private void Answered(QueryContext context)
    {
        try
        {
            context.EndPending();
            Reply(context);
        }
        catch (Exception e)
        {
            LogQueryFailed(e);
        }
        finally
        {
            _pool.Return(context);
        }
    }

    private void Reply(QueryContext context)
    {
        if (context.ResponseLength == 0)
        {
            return;
        }

        try
        {
            if (_native)
            {
                SocketAddress remote = context.RemoteAddress;
                NativeUdp.Send(_socket.SafeHandle, context.Response, remote.Buffer.Span[..remote.Size], context.LocalAddress);
            }
            else
            {
                _socket.SendTo(context.Response, SocketFlags.None, context.RemoteAddress);
            }
        }
        catch (SocketException)
        {
            // The client is gone or unreachable: nothing to do for UDP.
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
    }

    [LoggerMessage(EventId = LogEventIds.DnsServer + 1, Level = LogLevel.Error, Message = "A query failed unexpectedly")]
    private partial void LogQueryFailed(Exception exception);
}
