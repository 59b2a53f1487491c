using System.Net.Security;
using System.Net.Sockets;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One TLS connection to an encrypted upstream, carrying many queries at once: what DoT
/// (<see cref="DotConnection"/>) and DoH (<see cref="DohConnection"/>) share. Queries are written
/// as they come (those waiting are coalesced into one TLS write), answers are read as they come
/// and matched to their query by a key (the DoT message ID, the HTTP/2 stream ID), in any order.
/// One timer per connection looks for queries it has been silent on. When the connection ends
/// (EOF, reset, a write that fails, a protocol error) every query still waiting fails with an
/// <see cref="IOException"/>, and it takes no new ones.
/// </summary>
internal abstract class EncryptedConnection : IAsyncDisposable
{
    /// <summary>How often the connection looks for queries past their deadline or that it has been silent on.</summary>
    private static readonly TimeSpan SilenceCheck = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly Dictionary<uint, PendingQuery> _pending = [];
    private readonly EncryptedWriter _outgoing;
    private Task _writer = Task.CompletedTask;
    private Task _reader = Task.CompletedTask;
    private Timer? _silence;
    private volatile bool _dead;
    private volatile bool _suspect;
    private volatile bool _draining;
    private long _lastActivity = Environment.TickCount64;
    private long _lastReceive;
    private long _sent;

    protected EncryptedConnection(Socket socket, SslStream tls)
    {
        _socket = socket;
        Tls = tls;
        _outgoing = new EncryptedWriter(tls, TryTakeWindow);
        OpenedAt = Environment.TickCount64;
    }

    protected SslStream Tls { get; }

    /// <summary>When the handshake completed (<see cref="Environment.TickCount64"/>).</summary>
    public long OpenedAt { get; }

    /// <summary>Ended: takes no queries.</summary>
    public bool IsDead => _dead;

    /// <summary>Still open, but a query on it got nothing while nothing else arrived either: takes no new queries.</summary>
    public bool IsSuspect => _suspect;

    /// <summary>The server said it is going away (HTTP/2 GOAWAY): queries in flight finish, no new ones.</summary>
    public bool IsDraining => _draining;

    /// <summary>At most this many queries in flight (what the server allows).</summary>
    public int Capacity => Math.Min(MaxInFlight, ushort.MaxValue / 2);

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

    /// <summary>
    /// Queries the server counts against its limit: those in flight, plus (HTTP/2) streams we
    /// stopped waiting for that the server has not finished yet.
    /// </summary>
    public int Load
    {
        get
        {
            lock (_pending)
            {
                return Occupied;
            }
        }
    }

    /// <summary>How long nothing was sent or received, when nothing is in flight; zero while queries are.</summary>
    public TimeSpan Idle => InFlight > 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastActivity));

    /// <summary>What the server allows in flight; <see cref="int.MaxValue"/> when it sets no limit.</summary>
    protected virtual int MaxInFlight => int.MaxValue;

    /// <summary>What counts against <see cref="Capacity"/> (called under the lock): the queries in flight, unless the protocol keeps more open.</summary>
    protected virtual int Occupied => _pending.Count;

    /// <summary>
    /// Queues one query; false when the connection has ended, is suspect, draining or full (ask
    /// another). <paramref name="first"/> says whether it is the connection's first query (else a reuse).
    /// </summary>
    public bool TrySend(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, long silentAfter, long deadline, out PendingQuery pending, out bool first)
    {
        pending = null!;
        first = false;
        lock (_pending)
        {
            if (_dead || _suspect || _draining)
            {
                return false;
            }

            int occupied = Occupied;
            if (occupied - _pending.Count >= Math.Max(1, Capacity / 2))
            {
                // Half the server's limit is streams we gave up on and it never finished: a fresh
                // connection instead, and this one closes once what is in flight is answered.
                _draining = true;
                return false;
            }

            if (occupied >= Capacity)
            {
                return false; // full
            }

            if (!TryNextKey(out uint key))
            {
                _draining = true; // out of keys (HTTP/2 stream IDs): finish what is in flight, then a fresh connection
                return false;
            }

            pending = new PendingQuery(key, name, type, @class) { SilentAfter = silentAfter, Deadline = deadline };
            // Under the lock: HTTP/2 streams must reach the wire in the order of their IDs.
            if (!_outgoing.TrySend(Encode(pending, dnssecOk, checkingDisabled)))
            {
                return false;
            }

            _pending.Add(key, pending);
            first = _sent++ == 0;
        }

        Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        return true;
    }

    /// <summary>Stops waiting for <paramref name="pending"/> (its time ran out): a late answer is dropped.</summary>
    public void Forget(PendingQuery pending)
    {
        lock (_pending)
        {
            if (_pending.TryGetValue(pending.Key, out PendingQuery? current) && current == pending)
            {
                _pending.Remove(pending.Key);
            }
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

    /// <summary>Starts the loops and the silence timer; the last thing a subclass's constructor does.</summary>
    protected void Start()
    {
        // Before the loops: a connection the server ends at once is ended by a loop, which stops the timer.
        _silence = new Timer(static state => ((EncryptedConnection)state!).Watch(), this, SilenceCheck, SilenceCheck);
        _writer = Task.Run(async () =>
        {
            try
            {
                await _outgoing.RunAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                End(e); // whatever ended the loop ends the connection, so no query waits on a loop that is gone
            }
        });
        _reader = Task.Run(async () =>
        {
            try
            {
                await ReadFramesAsync().ConfigureAwait(false);
                throw new IOException("the server closed the connection");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                End(e); // whatever ended the loop ends the connection, so no query waits on a loop that is gone
            }
        });
    }

    /// <summary>A key no query in flight has (called under the lock); false when the connection can take no more.</summary>
    protected abstract bool TryNextKey(out uint key);

    /// <summary>The bytes that ask <paramref name="pending"/>'s question (called under the lock, in key order).</summary>
    protected abstract OutgoingBytes Encode(PendingQuery pending, bool dnssecOk, bool checkingDisabled);

    /// <summary>The largest frame (a DoT message with its length, an HTTP/2 frame with its header) the server may send.</summary>
    protected abstract int MaxFrame { get; }

    /// <summary>
    /// The length of the frame <paramref name="available"/> starts with (its header included), or
    /// -1 when too little has arrived to tell; throws when the frame is larger than allowed.
    /// </summary>
    protected abstract int FrameLength(ReadOnlySpan<byte> available);

    /// <summary>One whole frame, read where it lies (the span is not valid after the call).</summary>
    protected abstract void OnFrame(ReadOnlySpan<byte> frame);

    /// <summary>Whether <paramref name="length"/> bytes of DATA may be sent now (takes them from the window if so).</summary>
    protected virtual bool TryTakeWindow(int length) => true;

    /// <summary>The peer's flow-control window grew: the write loop tries what waited for it again.</summary>
    protected void WindowGrown() => _outgoing.WindowGrown();

    /// <summary>Whether a query in flight has <paramref name="key"/>; only from <see cref="TryNextKey"/> (under the lock).</summary>
    protected bool KeyInUse(uint key) => _pending.ContainsKey(key);

    protected PendingQuery? Find(uint key)
    {
        lock (_pending)
        {
            return _pending.GetValueOrDefault(key);
        }
    }

    /// <summary>Bytes arrived: the connection answers, so it is not half-open after all.</summary>
    private void Received()
    {
        long now = Environment.TickCount64;
        Interlocked.Exchange(ref _lastReceive, now); // before clearing: Watch re-reads it after it sets the flag
        Interlocked.Exchange(ref _lastActivity, now);
        _suspect = false;
    }

    /// <summary>Queues bytes that are not a query (HTTP/2 control frames).</summary>
    protected void Send(OutgoingBytes bytes) => _outgoing.TrySend(bytes);

    /// <summary>
    /// The answer for <paramref name="key"/>: validated against its question (and, when
    /// <paramref name="expectedId"/> is set, its message ID) and handed to who waits.
    /// </summary>
    protected void Deliver(uint key, ReadOnlySpan<byte> message, ushort? expectedId = null)
    {
        PendingQuery? pending;
        lock (_pending)
        {
            if (!_pending.Remove(key, out pending))
            {
                return; // late (its query gave up) or not ours
            }
        }

        DnsAnswer? answer = message.Length < DnsHeader.Size || (expectedId is { } id && DnsHeader.ReadId(message) != id)
            ? null
            : DnsAnswer.TryParse(message, pending.Name, pending.Type, pending.Class);
        if (answer is null)
        {
            Complete(pending, new IOException("the answer did not echo the question (or was malformed)"));
        }
        else
        {
            pending.Answer.TrySetResult(answer);
            pending.Late?.TrySetResult(answer);
        }
    }

    /// <summary>Fails the query waiting under <paramref name="key"/>, if one still is.</summary>
    protected void Fail(uint key, Exception reason)
    {
        PendingQuery? pending;
        lock (_pending)
        {
            if (!_pending.Remove(key, out pending))
            {
                return;
            }
        }

        Complete(pending, reason);
    }

    /// <summary>Takes no new queries, and fails those the server will not answer (keys above <paramref name="lastKey"/>): they may be asked again elsewhere.</summary>
    protected void Drain(uint lastKey)
    {
        List<PendingQuery> refused = [];
        lock (_pending)
        {
            _draining = true;
            foreach (PendingQuery pending in _pending.Values)
            {
                if (pending.Key > lastKey)
                {
                    refused.Add(pending);
                }
            }

            refused.ForEach(p => _pending.Remove(p.Key));
        }

        var reason = new UnprocessedQueryException("the server is going away and did not take it");
        refused.ForEach(p => Complete(p, reason));
    }

    /// <summary>Ends the connection: every query still waiting fails with <paramref name="reason"/>.</summary>
    protected void End(Exception reason)
    {
        PendingQuery[] waiting;
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

        _outgoing.Complete();
        _silence?.Dispose();
        var failure = reason as IOException ?? new IOException("connection ended: " + reason.Message, reason);
        foreach (PendingQuery pending in waiting)
        {
            Complete(pending, failure);
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already gone
        }

        Tls.Dispose();
        OnEnded(failure);
    }

    /// <summary>After the connection ended (whatever waits on its own state gives up).</summary>
    protected virtual void OnEnded(Exception reason)
    {
    }

    private static void Complete(PendingQuery pending, Exception reason)
    {
        pending.Answer.TrySetException(reason);
        pending.Late?.TrySetException(reason);
    }

    /// <summary>
    /// Fails each query past its <see cref="PendingQuery.Deadline"/> with a <see cref="TimeoutException"/>
    /// (it is forgotten: a late answer is dropped). Fails, with <see cref="SilentConnectionException"/>,
    /// each query past its <see cref="PendingQuery.SilentAfter"/> when nothing has arrived since it was
    /// sent, and takes the connection out of the pool: it may be half-open, or its server stopped
    /// reading. Such a query stays registered here with a <see cref="PendingQuery.Late"/> answer, so
    /// a server that was only slow still answers it, and anything arriving puts the connection back
    /// in the pool.
    /// </summary>
    private void Watch()
    {
        long now = Environment.TickCount64;
        long received = Interlocked.Read(ref _lastReceive);
        List<PendingQuery>? silent = null;
        List<PendingQuery>? expired = null;
        lock (_pending)
        {
            foreach (PendingQuery pending in _pending.Values)
            {
                if (pending.Deadline <= now)
                {
                    (expired ??= []).Add(pending);
                }
                else if (pending.SilentAfter <= now && received <= pending.SentAt)
                {
                    (silent ??= []).Add(pending);
                }
            }

            expired?.ForEach(p => _pending.Remove(p.Key));
            if (silent is not null)
            {
                _suspect = true;
                if (Interlocked.Read(ref _lastReceive) != received)
                {
                    _suspect = false; // bytes arrived meanwhile: not silent after all
                    silent = null;
                }
            }

            if (silent is not null)
            {
                foreach (PendingQuery pending in silent)
                {
                    pending.SilentAfter = long.MaxValue; // signalled once
                    pending.Late = new TaskCompletionSource<DnsAnswer?>();
                }
            }
        }

        foreach (PendingQuery pending in expired ?? [])
        {
            Complete(pending, new TimeoutException("no answer in time"));
        }

        foreach (PendingQuery pending in silent ?? [])
        {
            pending.Answer.TrySetException(new SilentConnectionException());
        }
    }

    /// <summary>
    /// Reads until the server closes. One buffer for many frames: each read takes what TLS has
    /// decrypted, and every whole frame in it is handled before the next read.
    /// </summary>
    private async Task ReadFramesAsync()
    {
        byte[] buffer = new byte[MaxFrame + (16 * 1024)];
        int start = 0;
        int end = 0;
        while (true)
        {
            int length;
            while ((length = FrameLength(buffer.AsSpan(start, end - start))) < 0 || end - start < length)
            {
                if (start > 0 && buffer.Length - start < MaxFrame)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                int read = await Tls.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                end += read;
                Received();
            }

            OnFrame(buffer.AsSpan(start, length));
            start += length;
            if (start == end)
            {
                start = end = 0;
            }
        }
    }
}
