using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using MiSinkhole.Core.Stages.Forward.Http2;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One HTTP/2 connection to a DoH upstream (RFC 8484 over RFC 9113, ALPN <c>h2</c>): each query
/// is a POST of <c>application/dns-message</c> on its own stream, with message ID 0; its answer
/// is matched by the stream, must be status 200, <c>application/dns-message</c>, at most
/// 65,535 bytes, ID 0 and our question. Only what a DoH client needs of HTTP/2: no push, no
/// priorities; the server's SETTINGS (concurrent streams, stream window), PING, GOAWAY (streams
/// it will not answer fail and are asked again on a fresh connection) and flow control are
/// honoured; we open a large receive window once and top it up as answers arrive.
/// </summary>
internal sealed class DohConnection : EncryptedConnection
{
    public const int MaxAnswer = DnsConstants.MaxMessageSize;

    private const int StreamWindow = 1 << 20;
    private const int ConnectionWindow = 16 << 20;
    private const int MaxHeaderBlock = 16 * 1024;

    /// <summary>RST_STREAM's REFUSED_STREAM (RFC 9113 §7): the server did nothing with the stream.</summary>
    private const uint RefusedStream = 0x7;

    /// <summary>Less than this much window per stream and no query would fit: the connection is refused.</summary>
    private const int SmallestStreamWindow = 512;

    private readonly byte[] _requestPrefix;
    private readonly HpackDecoder _decoder = new();
    private readonly TaskCompletionSource _settings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<uint> _open = []; // streams we opened that the server has not ended: what its limit counts
    private readonly byte[] _block = new byte[MaxHeaderBlock];
    private long _sendWindow = Http2Frame.InitialWindow;
    private volatile int _maxStreams = 100; // until the server's SETTINGS say (RFC 9113 §6.5.2 suggests no less than 100)
    private uint _nextStream = 1;
    private long _unacknowledged;
    private int _blockLength;
    private uint _blockStream;
    private bool _blockEndsStream;

    private DohConnection(Socket socket, SslStream tls, Uri url)
        : base(socket, tls)
    {
        _requestPrefix = Http2Frame.RequestPrefix(url);
        Send(new OutgoingBytes(Http2Frame.ClientStart(StreamWindow, ConnectionWindow)));
        Start();
    }

    protected override int MaxInFlight => _maxStreams;

    protected override int Occupied
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// Opens a TCP connection, completes the TLS handshake agreeing on HTTP/2, sends the connection
    /// preface and waits for the server's: its SETTINGS say how many streams it takes, so none is
    /// sent that it would refuse (it sends them at once, in the flight that ends the handshake).
    /// </summary>
    public static async Task<DohConnection> OpenAsync(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates,
        UpstreamTransportMetrics metrics, CancellationToken token)
    {
        (Socket socket, SslStream tls) = await UpstreamTls.ConnectAsync(server, bootstrap, certificates, metrics, SslApplicationProtocol.Http2, token).ConfigureAwait(false);
        var connection = new DohConnection(socket, tls, server.Url!);
        try
        {
            await connection._settings.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    protected override void OnEnded(Exception reason) => _settings.TrySetException(reason);

    protected override bool TryNextKey(out uint key)
    {
        key = _nextStream;
        if (key > 0x7FFF_FFFF)
        {
            return false; // stream IDs are spent
        }

        _nextStream += 2;
        lock (_open)
        {
            _open.Add(key);
        }

        return true;
    }

    protected override OutgoingBytes Encode(PendingQuery pending, bool dnssecOk, bool checkingDisabled)
    {
        int length = UpstreamQuery.Size(pending.Name.Length, UpstreamQuery.EncryptedPadBlock);
        byte[] frames = Http2Frame.Request(pending.Key, _requestPrefix, length, out int bodyAt);
        UpstreamQuery.Write(frames.AsSpan(bodyAt), 0, pending.Name, pending.Type, pending.Class, dnssecOk, checkingDisabled);
        return new OutgoingBytes(frames, length);
    }

    protected override bool TryTakeWindow(int length)
    {
        if (Interlocked.Read(ref _sendWindow) < length)
        {
            return false;
        }

        Interlocked.Add(ref _sendWindow, -length); // the writer is the only one taking
        return true;
    }

    protected override int MaxFrame => Http2Frame.HeaderSize + Http2Frame.MaxFrameSize;

    protected override int FrameLength(ReadOnlySpan<byte> available)
    {
        if (available.Length < Http2Frame.HeaderSize)
        {
            return -1;
        }

        int length = Http2Frame.ReadLength(available);
        return length <= Http2Frame.MaxFrameSize ? Http2Frame.HeaderSize + length : throw ProtocolError("a frame larger than allowed");
    }

    private static IOException ProtocolError(string problem) => new("HTTP/2 protocol error: " + problem);

    /// <summary>Strips the padding of a DATA or HEADERS frame's payload.</summary>
    private static ReadOnlySpan<byte> Unpad(ReadOnlySpan<byte> payload, byte flags)
    {
        if ((flags & Http2Frame.Padded) == 0)
        {
            return payload;
        }

        if (payload.IsEmpty || payload[0] >= payload.Length)
        {
            throw ProtocolError("padding longer than the frame");
        }

        return payload[1..^payload[0]];
    }

    protected override void OnFrame(ReadOnlySpan<byte> frame)
    {
        byte type = frame[3];
        byte flags = frame[4];
        uint stream = Http2Frame.ReadStream(frame);
        ReadOnlySpan<byte> payload = frame[Http2Frame.HeaderSize..];
        if (_blockStream != 0 && (type != Http2Frame.Continuation || stream != _blockStream))
        {
            throw ProtocolError("a header block was interrupted");
        }

        if (stream != 0 && (type == Http2Frame.RstStream || (type is Http2Frame.Data or Http2Frame.Headers && (flags & Http2Frame.EndStream) != 0)))
        {
            lock (_open)
            {
                _open.Remove(stream); // the server is done with it: it no longer counts against its limit
            }
        }

        switch (type)
        {
            case Http2Frame.Data when stream != 0:
                Consumed(payload.Length);
                OnData(stream, Unpad(payload, flags), (flags & Http2Frame.EndStream) != 0);
                break;
            case Http2Frame.Headers when stream != 0:
                ReadOnlySpan<byte> fragment = Unpad(payload, flags);
                if ((flags & Http2Frame.PriorityFlag) != 0)
                {
                    fragment = fragment.Length >= 5 ? fragment[5..] : throw ProtocolError("HEADERS too short for its priority");
                }

                _blockStream = stream;
                _blockEndsStream = (flags & Http2Frame.EndStream) != 0;
                _blockLength = 0;
                AppendBlock(fragment, flags);
                break;
            case Http2Frame.Continuation:
                if (_blockStream == 0)
                {
                    throw ProtocolError("CONTINUATION without HEADERS");
                }

                AppendBlock(payload, flags);
                break;
            case Http2Frame.RstStream when stream != 0 && payload.Length == 4:
                uint code = BinaryPrimitives.ReadUInt32BigEndian(payload);
                Fail(stream, code == RefusedStream
                    ? new UnprocessedQueryException("the server refused the stream (REFUSED_STREAM)")
                    : new IOException($"the server reset the stream (HTTP/2 error {code})"));
                break;
            case Http2Frame.Settings when stream == 0:
                if ((flags & Http2Frame.Ack) == 0)
                {
                    ApplySettings(payload);
                    Send(new OutgoingBytes(Http2Frame.SettingsAck()));
                    _settings.TrySetResult();
                }

                break;
            case Http2Frame.PushPromise:
                throw ProtocolError("PUSH_PROMISE though push is off");
            case Http2Frame.Ping when stream == 0 && payload.Length == 8:
                if ((flags & Http2Frame.Ack) == 0)
                {
                    Send(new OutgoingBytes(Http2Frame.PingAck(payload)));
                }

                break;
            case Http2Frame.GoAway when stream == 0 && payload.Length >= 8:
                Drain(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
                break;
            case Http2Frame.WindowUpdate when payload.Length == 4:
                if (stream == 0)
                {
                    Interlocked.Add(ref _sendWindow, BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
                    WindowGrown();
                }

                break; // a stream's window: every query fits the initial one (checked in SETTINGS)
            case Http2Frame.Data or Http2Frame.Headers or Http2Frame.RstStream or Http2Frame.Settings or Http2Frame.Ping or Http2Frame.GoAway or Http2Frame.WindowUpdate:
                throw ProtocolError($"frame type {type} on stream {stream} with {payload.Length} bytes");
            default:
                break; // PRIORITY, and frame types we do not know, are ignored (§5.5)
        }
    }

    private void ApplySettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % 6 != 0)
        {
            throw ProtocolError("SETTINGS of a length not a multiple of 6");
        }

        for (int i = 0; i < payload.Length; i += 6)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(payload[i..]);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
            if (id == Http2Frame.SettingMaxConcurrentStreams)
            {
                _maxStreams = (int)Math.Min(value, int.MaxValue);
                if (value == 0)
                {
                    Drain(uint.MaxValue); // no new streams here (a server shutting down): a fresh connection for the next
                }
            }
            else if (id == Http2Frame.SettingInitialWindowSize && value < SmallestStreamWindow)
            {
                throw new IOException($"the server allows {value} bytes per stream, less than a query");
            }
        }
    }

    /// <summary>Received DATA counts against the connection's window: top it up once half is used.</summary>
    private void Consumed(int length)
    {
        _unacknowledged += length;
        if (_unacknowledged >= ConnectionWindow / 2)
        {
            Send(new OutgoingBytes(Http2Frame.WindowUpdateFrame(0, (int)_unacknowledged)));
            _unacknowledged = 0;
        }
    }

    private void AppendBlock(ReadOnlySpan<byte> fragment, byte flags)
    {
        if (_blockLength + fragment.Length > _block.Length)
        {
            throw ProtocolError($"a header block larger than {MaxHeaderBlock} bytes");
        }

        fragment.CopyTo(_block.AsSpan(_blockLength));
        _blockLength += fragment.Length;
        if ((flags & Http2Frame.EndHeaders) == 0)
        {
            return;
        }

        uint stream = _blockStream;
        _blockStream = 0;
        // Every block is decoded, also for streams nobody waits for: it keeps the table in step.
        if (!_decoder.TryDecode(_block.AsSpan(0, _blockLength), out Http2ResponseHead head))
        {
            throw ProtocolError("a header block HPACK cannot decode");
        }

        OnHead(stream, head, _blockEndsStream);
    }

    private void OnHead(uint stream, Http2ResponseHead head, bool endsStream)
    {
        PendingQuery? pending = Find(stream);
        if (pending is null)
        {
            return;
        }

        if (!pending.HeadAccepted)
        {
            if (head.Status is >= 100 and < 200 && !endsStream)
            {
                return; // informational: the final head follows
            }

            string? refused = head.Status != 200 ? $"HTTP {head.Status}"
                : !head.IsDnsMessage ? "the answer is not application/dns-message"
                : head.ContentLength > MaxAnswer ? $"the answer is {head.ContentLength} bytes, more than a DNS message can be"
                : endsStream ? "the answer is empty"
                : null;
            if (refused is not null)
            {
                Fail(stream, new HttpRequestException(refused));
                return;
            }

            pending.HeadAccepted = true;
            return;
        }

        if (endsStream)
        {
            Finish(stream, pending); // trailers end it
        }
    }

    private void OnData(uint stream, ReadOnlySpan<byte> data, bool endsStream)
    {
        PendingQuery? pending = Find(stream);
        if (pending is null)
        {
            return;
        }

        if (!pending.HeadAccepted)
        {
            Fail(stream, ProtocolError("DATA before the response's head"));
            return;
        }

        if (pending.Body is null && endsStream)
        {
            Deliver(stream, data, expectedId: 0); // the usual case: the whole answer in one frame, read where it lies
            return;
        }

        if (pending.BodyLength + data.Length > MaxAnswer)
        {
            Fail(stream, new HttpRequestException("the answer is more than 65,535 bytes"));
            return;
        }

        if (pending.Body is null || pending.Body.Length < pending.BodyLength + data.Length)
        {
            byte[] grown = new byte[Math.Min(MaxAnswer, Math.Max(2 * (pending.BodyLength + data.Length), 1024))];
            pending.Body?.AsSpan(0, pending.BodyLength).CopyTo(grown);
            pending.Body = grown;
        }

        data.CopyTo(pending.Body.AsSpan(pending.BodyLength));
        pending.BodyLength += data.Length;
        if (endsStream)
        {
            Finish(stream, pending);
        }
    }

    private void Finish(uint stream, PendingQuery pending)
    {
        if (pending.Body is null)
        {
            Fail(stream, new HttpRequestException("the answer is empty"));
            return;
        }

        Deliver(stream, pending.Body.AsSpan(0, pending.BodyLength), expectedId: 0);
    }
}
