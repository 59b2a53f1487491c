using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Transport;

/// <summary>
/// One client connection, plain TCP or DoT (the same framing inside TLS, RFC 7858): reads 2-byte length-prefixed messages (a prefix may arrive split across
/// segments), starts every query as soon as it is complete (pipelining; answers may come back out
/// of order, RFC 7766 §6.2.1.1), writes each answer whole under a lock, and closes when the client
/// closes, when a write stalls, when answers the client does not read pile up past
/// <c>Dns:TcpMaxWriteBuffer</c>, or after the idle timeout. The idle timeout counts from the last
/// whole message, not the last byte: a client dripping a byte now and then does not hold its slot.
/// </summary>
internal sealed class TcpDnsConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly DnsTransport _transport;
    private readonly string? _clientId;
    private readonly QueryPipeline _pipeline;
    private readonly QueryContextPool _pool;
    private readonly DnsServerOptions _options;
    private readonly CancellationToken _stopping;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _slots;
    private readonly ClientAddress _client;
    private int _outstanding;
    private int _unwritten;

    /// <param name="tls">The DoT stream over <paramref name="socket"/> once its handshake is done; null: plain TCP.</param>
    /// <param name="clientId">The client ID the DoT handshake carried, for every query of the connection.</param>
    public TcpDnsConnection(Socket socket, ClientAddress client, QueryPipeline pipeline, QueryContextPool pool, DnsServerOptions options, CancellationToken stopping,
        Stream? tls = null, string? clientId = null)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _socket.SendBufferSize = options.TcpMaxWriteBuffer; // the kernel's share of what a client that does not read can hold
        _stream = tls ?? new NetworkStream(socket, ownsSocket: true);
        _transport = tls is null ? DnsTransport.Tcp : DnsTransport.Tls;
        _clientId = clientId;
        _pipeline = pipeline;
        _pool = pool;
        _options = options;
        _stopping = stopping;
        _slots = new SemaphoreSlim(options.TcpMaxPipelined, options.TcpMaxPipelined);
        _client = client;
    }

    public async Task RunAsync()
    {
        PipeReader reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: true));
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        long idleSince = Environment.TickCount64;
        try
        {
            while (true)
            {
                // From the last whole message: bytes that complete none do not move the deadline.
                long remaining = idleSince + (long)_options.TcpIdleTimeout.TotalMilliseconds - Environment.TickCount64;
                if (remaining <= 0)
                {
                    break;
                }

                idle.CancelAfter(TimeSpan.FromMilliseconds(remaining));
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break; // idle for TcpIdleTimeout (outstanding answers still go out in DrainAsync)
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame))
                {
                    if (frame.Length == 0)
                    {
                        return; // a zero-length message is not DNS: close
                    }

                    idleSince = Environment.TickCount64;
                    await StartQueryAsync(frame).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        // The semaphores are not disposed: answers still finishing may release them, and they
        // hold no kernel handle (AvailableWaitHandle is never used).
        _stream.Dispose();
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[2];
        buffer.Slice(0, 2).CopyTo(prefix);
        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (buffer.Length < 2 + length)
        {
            return false;
        }

        frame = buffer.Slice(2, length);
        buffer = buffer.Slice(2 + length);
        return true;
    }

    private async Task StartQueryAsync(ReadOnlySequence<byte> frame)
    {
        await _slots.WaitAsync(_stopping).ConfigureAwait(false);

        // Past the pool's cap a TCP query still gets a (temporary) context: the per-connection
        // slots and the connection cap bound those.
        QueryContext? pooled = _pool.TryRent();
        QueryContext context = pooled ?? new QueryContext();
        context.EnsureRequestCapacity((int)frame.Length);
        frame.CopyTo(context.RequestBuffer);
        context.RequestLength = (int)frame.Length;
        context.Transport = _transport;
        context.Client = _client;
        context.ClientId = _clientId;
        Interlocked.Increment(ref _outstanding);
        _ = AnswerAsync(context, pooled is not null);
    }

    private async Task AnswerAsync(QueryContext context, bool pooled)
    {
        byte[]? framed = null;
        int length = 0;
        try
        {
            try
            {
                await _pipeline.ProcessAsync(context).ConfigureAwait(false);
                length = context.ResponseLength;
                if (length > 0)
                {
                    framed = ArrayPool<byte>.Shared.Rent(length + 2);
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)length);
                    context.Response.CopyTo(framed.AsSpan(2));
                }
            }
            finally
            {
                // The context goes back before we wait on the client: a client that does not
                // read holds its own slots and buffers, never the shared contexts.
                if (pooled)
                {
                    _pool.Return(context);
                }
                else
                {
                    context.Reset();
                }
            }

            if (framed is not null)
            {
                // Answers waiting for a client that does not read are bounded: one always goes,
                // more than TcpMaxWriteBuffer waiting closes the connection.
                int before = Interlocked.Add(ref _unwritten, length + 2) - (length + 2);
                try
                {
                    if (before > 0 && before + length + 2 > _options.TcpMaxWriteBuffer)
                    {
                        throw new IOException("the client does not read its answers");
                    }

                    await WriteAsync(framed, length + 2).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Add(ref _unwritten, -(length + 2));
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client went away or stalled, or we are stopping: give up the connection.
            _socket.Dispose();
        }
        finally
        {
            if (framed is not null)
            {
                ArrayPool<byte>.Shared.Return(framed);
            }

            Interlocked.Decrement(ref _outstanding);
            _slots.Release();
        }
    }

    private async Task WriteAsync(byte[] framed, int length)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        timeout.CancelAfter(_options.TcpIdleTimeout);
        await _writeLock.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(framed.AsMemory(0, length), timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task DrainAsync()
    {
        // Let outstanding answers go out before the connection is disposed.
        for (int i = 0; i < 100 && Volatile.Read(ref _outstanding) > 0; i++)
        {
            await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
