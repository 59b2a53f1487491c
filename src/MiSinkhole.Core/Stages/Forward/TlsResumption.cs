using System.Buffers.Binary;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Tells from the server's first TLS bytes whether it resumed a session (.NET does not say): in
/// TLS 1.3 its ServerHello carries <c>pre_shared_key</c> (RFC 8446 §4.2.11); in TLS 1.2 a
/// ChangeCipherSpec follows the ServerHello with no Certificate in between (RFC 5246 §7.3).
/// Fed the bytes as they are read; decides once, or gives up (a HelloRetryRequest, or more than
/// <see cref="Limit"/> bytes without a ServerHello).
/// </summary>
public sealed class TlsResumption
{
    public const int Limit = 8192;
    private const byte Handshake = 22;
    private const byte ChangeCipherSpec = 20;
    private const ushort PreSharedKey = 41;
    private const ushort SupportedVersions = 43;
    private static readonly byte[] HelloRetryRandom = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");

    private byte[]? _seen = new byte[Limit];
    private int _length;

    /// <summary>True: resumed; false: a full handshake; null: not known (yet, or ever).</summary>
    public bool? Resumed { get; private set; }

    /// <summary>Still looking: <see cref="Observe"/> wants the next bytes.</summary>
    public bool Watching { get; private set; } = true;

    /// <summary>The next bytes read from the server.</summary>
    public void Observe(ReadOnlySpan<byte> read)
    {
        if (!Watching || _seen is null)
        {
            return;
        }

        int take = Math.Min(read.Length, Limit - _length);
        read[..take].CopyTo(_seen.AsSpan(_length));
        _length += take;
        bool? decided = Decide(_seen.AsSpan(0, _length), out bool giveUp);
        if (decided is not null || giveUp || _length == Limit)
        {
            Resumed = decided;
            Watching = false;
            _seen = null;
        }
    }

    /// <summary>Reads what has arrived: the records up to the ServerHello and what follows it.</summary>
    private static bool? Decide(ReadOnlySpan<byte> data, out bool giveUp)
    {
        giveUp = false;
        Span<byte> handshake = stackalloc byte[Limit];
        int handshakeLength = 0;
        int position = 0;
        byte nextRecord = 0;
        while (position + 5 <= data.Length)
        {
            byte type = data[position];
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 3)..]);
            if (position + 5 + length > data.Length)
            {
                break;
            }

            if (type != Handshake)
            {
                nextRecord = type;
                break;
            }

            data.Slice(position + 5, length).CopyTo(handshake[handshakeLength..]);
            handshakeLength += length;
            position += 5 + length;
        }

        if (position == 0 && data.Length >= 5 && data[0] != Handshake)
        {
            giveUp = true; // an alert, or not TLS
            return null;
        }

        ReadOnlySpan<byte> messages = handshake[..handshakeLength];
        if (messages.Length < 4 || messages[0] != 2)
        {
            giveUp = messages.Length >= 4;
            return null;
        }

        int helloLength = (messages[1] << 16) | (messages[2] << 8) | messages[3];
        if (messages.Length < 4 + helloLength)
        {
            return null;
        }

        ReadOnlySpan<byte> hello = messages.Slice(4, helloLength);
        if (hello.Length < 35 || hello.Slice(2, 32).SequenceEqual(HelloRetryRandom))
        {
            giveUp = true;
            return null;
        }

        int at = 34;
        at += 1 + hello[at]; // session id
        at += 3; // cipher suite, compression
        bool tls13 = false, psk = false;
        if (at + 2 <= hello.Length)
        {
            int end = Math.Min(hello.Length, at + 2 + BinaryPrimitives.ReadUInt16BigEndian(hello[at..]));
            at += 2;
            while (at + 4 <= end)
            {
                ushort extension = BinaryPrimitives.ReadUInt16BigEndian(hello[at..]);
                int extensionLength = BinaryPrimitives.ReadUInt16BigEndian(hello[(at + 2)..]);
                if (extension == SupportedVersions && extensionLength == 2 && at + 6 <= end)
                {
                    tls13 = BinaryPrimitives.ReadUInt16BigEndian(hello[(at + 4)..]) == 0x0304;
                }
                else if (extension == PreSharedKey)
                {
                    psk = true;
                }

                at += 4 + extensionLength;
            }
        }

        if (tls13)
        {
            return psk;
        }

        // TLS 1.2: a Certificate (or any other handshake message) next means a full handshake;
        // ChangeCipherSpec right after the ServerHello means the session was resumed.
        ReadOnlySpan<byte> after = messages[(4 + helloLength)..];
        if (after.Length > 0)
        {
            return false;
        }

        return nextRecord == ChangeCipherSpec ? true : nextRecord != 0 ? false : null;
    }
}
