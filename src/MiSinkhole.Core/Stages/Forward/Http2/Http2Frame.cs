using System.Buffers.Binary;
using System.Text;

namespace MiSinkhole.Core.Stages.Forward.Http2;

/// <summary>
/// HTTP/2 framing for a DoH client (RFC 9113): frame types, flags and settings, the frames a
/// client writes, and the header block of a DoH POST (RFC 8484 §4.1), HPACK-encoded as literals
/// without indexing so the encoder keeps no state.
/// </summary>
internal static class Http2Frame
{
    public const int HeaderSize = 9;

    /// <summary>SETTINGS_MAX_FRAME_SIZE: the protocol's default, which we keep.</summary>
    public const int MaxFrameSize = 16_384;

    /// <summary>The flow-control window every stream and the connection start with.</summary>
    public const int InitialWindow = 65_535;

    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte PushPromise = 0x5;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte WindowUpdate = 0x8;
    public const byte Continuation = 0x9;

    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte PriorityFlag = 0x20;

    public const ushort SettingEnablePush = 0x2;
    public const ushort SettingMaxConcurrentStreams = 0x3;
    public const ushort SettingInitialWindowSize = 0x4;

    /// <summary>The client connection preface (§3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static void WriteHeader(Span<byte> destination, int length, byte type, byte flags, uint stream)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = type;
        destination[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], stream & 0x7FFF_FFFF);
    }

    public static int ReadLength(ReadOnlySpan<byte> header) => (header[0] << 16) | (header[1] << 8) | header[2];

    public static uint ReadStream(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF;

    /// <summary>The preface, our SETTINGS (no push, <paramref name="streamWindow"/> per stream) and a WINDOW_UPDATE raising the connection's window to <paramref name="connectionWindow"/>.</summary>
    public static byte[] ClientStart(int streamWindow, int connectionWindow)
    {
        byte[] start = new byte[Preface.Length + HeaderSize + 12 + HeaderSize + 4];
        Preface.CopyTo(start);
        Span<byte> settings = start.AsSpan(Preface.Length);
        WriteHeader(settings, 12, Settings, 0, 0);
        BinaryPrimitives.WriteUInt16BigEndian(settings[9..], SettingEnablePush);
        BinaryPrimitives.WriteUInt32BigEndian(settings[11..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(settings[15..], SettingInitialWindowSize);
        BinaryPrimitives.WriteUInt32BigEndian(settings[17..], (uint)streamWindow);
        WriteWindowUpdate(settings[21..], 0, connectionWindow - InitialWindow);
        return start;
    }

    public static byte[] SettingsAck()
    {
        byte[] frame = new byte[HeaderSize];
        WriteHeader(frame, 0, Settings, Ack, 0);
        return frame;
    }

    public static byte[] PingAck(ReadOnlySpan<byte> opaque)
    {
        byte[] frame = new byte[HeaderSize + 8];
        WriteHeader(frame, 8, Ping, Ack, 0);
        opaque.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    public static byte[] WindowUpdateFrame(uint stream, int increment)
    {
        byte[] frame = new byte[HeaderSize + 4];
        WriteWindowUpdate(frame, stream, increment);
        return frame;
    }

    /// <summary>
    /// The part of a DoH POST's header block that is the same for every query to <paramref name="url"/>:
    /// :method POST, :scheme https, :authority, :path, content-type and accept.
    /// </summary>
    public static byte[] RequestPrefix(Uri url)
    {
        var block = new List<byte> { 0x80 | 3, 0x80 | 7 }; // indexed: :method POST, :scheme https
        string host = url.HostNameType == UriHostNameType.IPv6 ? $"[{url.IdnHost}]" : url.IdnHost; // the name in ASCII; IdnHost drops an address's brackets
        Literal(block, 1, url.IsDefaultPort ? host : $"{host}:{url.Port}"); // :authority
        Literal(block, 4, url.PathAndQuery); // :path
        Literal(block, 31, "application/dns-message"); // content-type
        Literal(block, 19, "application/dns-message"); // accept
        return [.. block];
    }

    /// <summary>
    /// A HEADERS frame (the prefix and the content-length) and a DATA frame ending the stream,
    /// its <paramref name="bodyLength"/> bytes left to the caller at <paramref name="bodyAt"/>.
    /// </summary>
    public static byte[] Request(uint stream, byte[] prefix, int bodyLength, out int bodyAt)
    {
        Span<byte> length = stackalloc byte[8];
        bodyLength.TryFormat(length, out int digits);
        int headerBlock = prefix.Length + 2 + 1 + digits; // content-length: name index 28 (two bytes), value length, digits
        byte[] frames = new byte[HeaderSize + headerBlock + HeaderSize + bodyLength];
        WriteHeader(frames, headerBlock, Headers, EndHeaders, stream);
        prefix.CopyTo(frames, HeaderSize);
        int position = HeaderSize + prefix.Length;
        frames[position++] = 0x0F; // literal without indexing, name index 28 = 15 + 13
        frames[position++] = 13;
        frames[position++] = (byte)digits;
        length[..digits].CopyTo(frames.AsSpan(position));
        position += digits;
        WriteHeader(frames.AsSpan(position), bodyLength, Data, EndStream, stream);
        bodyAt = position + HeaderSize;
        return frames;
    }

    private static void WriteWindowUpdate(Span<byte> destination, uint stream, int increment)
    {
        WriteHeader(destination, 4, WindowUpdate, 0, stream);
        BinaryPrimitives.WriteUInt32BigEndian(destination[HeaderSize..], (uint)increment & 0x7FFF_FFFF);
    }

    /// <summary>A literal header field without indexing, its name by static index (0000 prefix, 4-bit index), its value plain.</summary>
    private static void Literal(List<byte> block, int nameIndex, string value)
    {
        Integer(block, 0x00, 4, nameIndex);
        byte[] bytes = Encoding.ASCII.GetBytes(value);
        Integer(block, 0x00, 7, bytes.Length);
        block.AddRange(bytes);
    }

    /// <summary>An HPACK integer (RFC 7541 §5.1) with an N-bit prefix after <paramref name="high"/>'s bits.</summary>
    private static void Integer(List<byte> block, byte high, int prefixBits, int value)
    {
        int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(high | value));
            return;
        }

        block.Add((byte)(high | max));
        value -= max;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        block.Add((byte)value);
    }
}
