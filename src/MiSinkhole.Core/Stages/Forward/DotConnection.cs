using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One TLS connection to a DoT upstream (RFC 7858): queries are written as they come (those
/// waiting are coalesced into one TLS write), answers are read as they come and matched to their
/// query by message ID (random, unique on the connection) and question, in any order. When the
/// connection ends (EOF, reset, a write that fails) every query still waiting fails with an
/// <see cref="IOException"/>, and it takes no new ones.
/// </summary>
internal sealed class DotConnection : IAsyncDisposable
{
    private const int MaxCoalesced = 16 * 1024;

    private readonly Socket _socket;
    private readonly SslStream _tls;
    private readonly Dictionary<ushort, DotPending> _pending = [];
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly Task _reader;
    private readonly Timer _silence;
    private volatile bool _dead;
    private volatile bool _suspect;
    private long _lastActivity = Environment.TickCount64;
    private long _lastReceive;
    private long _sent;

    private DotConnection(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
        OpenedAt = Environment.TickCount64;
        // Before the loops: a connection the server ends at once is ended by a loop, which stops the timer.
        _silence = new Timer(static state => ((DotConnection)state!).FailSilent(), this, SilenceCheck, SilenceCheck);
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>How often the connection looks for queries it has been silent on (one timer per connection, not one per query).</summary>
    private static readonly TimeSpan SilenceCheck = TimeSpan.FromMilliseconds(50);

    /// <summary>When the handshake completed (<see cref="Environment.TickCount64"/>).</summary>
    public long OpenedAt { get; }

    /// <summary>Ended: takes no queries.</summary>
    public bool IsDead => _dead;

    /// <summary>Still open, but a query on it got nothing while nothing else arrived either: takes no new queries.</summary>
    public bool IsSuspect => _suspect;

    public int InFlight
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>How long nothing was sent or received, when nothing is in flight; zero while queries are.</summary>
    public TimeSpan Idle => InFlight > 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastActivity));

    /// <summary>Opens a TCP connection and completes the TLS handshake (name and chain verified by <paramref name="certificates"/>).</summary>
    public static async Task<DotConnection> OpenAsync(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates,
        UpstreamTransportMetrics metrics, CancellationToken token)
    {
        Socket socket = await UpstreamSockets.ConnectAsync(server, bootstrap, token).ConfigureAwait(false);
        metrics.ConnectionOpened(server);
        var observed = new ObservedStream(new NetworkStream(socket, ownsSocket: true), resumed =>
        {
            if (resumed)
            {
                metrics.Resumed(server);
            }
        });
        var tls = new SslStream(observed, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = server.TlsName,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => certificates.Validate(server, certificate, chain, errors),
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                AllowTlsResume = true,
                EnabledSslProtocols = SslProtocols.None,
            }, token).ConfigureAwait(false);
            metrics.Handshake(server, ok: true);
        }
        catch
        {
            metrics.Handshake(server, ok: false);
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new DotConnection(socket, tls);
    }

    /// <summary>
    /// Queues one query; false when the connection has ended or is suspect (ask another).
    /// <paramref name="first"/> says whether it is the connection's first query (else a reuse).
    /// </summary>
    public bool TrySend(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, long silentAfter, out DotPending pending, out bool first)
    {
        pending = null!;
        first = false;
        lock (_pending)
        {
            if (_dead || _suspect || _pending.Count >= ushort.MaxValue / 2)
            {
                return false;
            }

            ushort id;
            do
            {
                id = UpstreamQuery.NewId();
            }
            while (_pending.ContainsKey(id));

            pending = new DotPending(id, name, type, @class) { SilentAfter = silentAfter };
            _pending.Add(id, pending);
            first = _sent++ == 0;
        }

        byte[] query = UpstreamQuery.Build(pending.Id, name, type, @class, dnssecOk, checkingDisabled, UpstreamQuery.EncryptedPadBlock);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        if (!_outgoing.Writer.TryWrite(framed))
        {
            Forget(pending);
            return false;
        }

        return true;
    }

    /// <summary>Stops waiting for <paramref name="pending"/> (its time ran out): a late answer is dropped.</summary>
    public void Forget(DotPending pending)
    {
        lock (_pending)
        {
            if (_pending.TryGetValue(pending.Id, out DotPending? current) && current == pending)
            {
                _pending.Remove(pending.Id);
            }
        }
    }

    /// <summary>
    /// Fails, with <see cref="DotSilentException"/>, each query past its <see cref="DotPending.SilentAfter"/>
    /// when nothing has arrived since it was sent, and takes the connection out of the pool: it may be
    /// half-open, or its server stopped reading. The query stays registered here with a
    /// <see cref="DotPending.Late"/> answer, so a server that was only slow still answers it, and
    /// anything arriving puts the connection back in the pool.
    /// </summary>
    private void FailSilent()
    {
        long now = Environment.TickCount64;
        long received = Interlocked.Read(ref _lastReceive);
        List<DotPending>? silent = null;
        lock (_pending)
        {
            foreach (DotPending pending in _pending.Values)
            {
                if (pending.SilentAfter <= now && received <= pending.SentAt)
                {
                    (silent ??= []).Add(pending);
                }
            }

            if (silent is null)
            {
                return;
            }

            _suspect = true;
            foreach (DotPending pending in silent)
            {
                pending.SilentAfter = long.MaxValue; // signalled once
                pending.Late = new TaskCompletionSource<DnsAnswer?>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        foreach (DotPending pending in silent)
        {
            pending.Answer.TrySetException(new DotSilentException());
        }
    }

    public async ValueTask DisposeAsync()
    {
        End(new IOException("connection closed"));
        try
        {
            await Task.WhenAll(_reader, _writer).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // they end with the stream
        }
    }

    private async Task WriteLoopAsync()
    {
        byte[] buffer = new byte[MaxCoalesced];
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                int length = 0;
                while (_outgoing.Reader.TryPeek(out byte[]? next) && (length == 0 || length + next.Length <= buffer.Length))
                {
                    _outgoing.Reader.TryRead(out _);
                    if (next.Length > buffer.Length)
                    {
                        await _tls.WriteAsync(next).ConfigureAwait(false);
                        continue;
                    }

                    next.CopyTo(buffer, length);
                    length += next.Length;
                }

                if (length > 0)
                {
                    await _tls.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            End(e); // whatever ended the loop ends the connection, so no query waits on a loop that is gone
        }
    }

    private async Task ReadLoopAsync()
    {
        // One buffer for many framed answers: each read takes what TLS has decrypted, and every
        // whole message in it is delivered before the next read.
        byte[] buffer = new byte[2 + ushort.MaxValue + MaxCoalesced];
        int start = 0;
        int end = 0;
        try
        {
            while (true)
            {
                while (end - start < 2 || end - start < 2 + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start)))
                {
                    if (start > 0 && buffer.Length - start < 2 + ushort.MaxValue)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }

                    int read = await _tls.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException("the server closed the connection");
                    }

                    end += read;
                    _suspect = false; // it answers: not half-open after all
                    long now = Environment.TickCount64;
                    Interlocked.Exchange(ref _lastReceive, now);
                    Interlocked.Exchange(ref _lastActivity, now);
                }

                int length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start));
                Deliver(buffer.AsSpan(start + 2, length));
                start += 2 + length;
                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            End(e); // whatever ended the loop ends the connection, so no query waits on a loop that is gone
        }
    }

    private void Deliver(ReadOnlySpan<byte> message)
    {
        if (message.Length < DnsHeader.Size)
        {
            return;
        }

        DotPending? pending;
        lock (_pending)
        {
            if (!_pending.Remove(DnsHeader.ReadId(message), out pending))
            {
                return; // late (its query gave up) or not ours
            }
        }

        DnsAnswer? answer = DnsAnswer.TryParse(message, pending.Name, pending.Type, pending.Class);
        if (answer is null)
        {
            var wrong = new IOException("the answer did not echo the question (or was malformed)");
            pending.Answer.TrySetException(wrong);
            pending.Late?.TrySetException(wrong);
        }
        else
        {
            pending.Answer.TrySetResult(answer);
            pending.Late?.TrySetResult(answer);
        }
    }

    private void End(Exception reason)
    {
        DotPending[] waiting;
        lock (_pending)
        {
            if (_dead)
            {
                return;
            }

            _dead = true;
            waiting = [.. _pending.Values];
            _pending.Clear();
        }

        _outgoing.Writer.TryComplete();
        _silence.Dispose();
        var failure = reason as IOException ?? new IOException("connection ended: " + reason.Message, reason);
        foreach (DotPending pending in waiting)
        {
            pending.Answer.TrySetException(failure);
            pending.Late?.TrySetException(failure);
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already gone
        }

        _tls.Dispose();
    }
}
