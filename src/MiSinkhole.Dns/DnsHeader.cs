using System.Buffers.Binary;

namespace MiSinkhole.Dns;

/// <summary>Reads and writes the 12-byte DNS header (RFC 1035 §4.1.1) in place.</summary>
public static class DnsHeader
{
    public const int Size = 12;

    public const ushort QrFlag = 0x8000;
    public const ushort AaFlag = 0x0400;
    public const ushort TcFlag = 0x0200;
    public const ushort RdFlag = 0x0100;
    public const ushort RaFlag = 0x0080;
    public const ushort AdFlag = 0x0020;
    public const ushort CdFlag = 0x0010;
    public const ushort OpcodeMask = 0x7800;
    public const ushort RcodeMask = 0x000F;

    public static ushort ReadId(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    public static void WriteId(Span<byte> message, ushort id) => BinaryPrimitives.WriteUInt16BigEndian(message, id);

    public static ushort ReadFlags(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[2..]);

    public static void WriteFlags(Span<byte> message, ushort flags) => BinaryPrimitives.WriteUInt16BigEndian(message[2..], flags);

    public static int ReadRcode(ReadOnlySpan<byte> message) => message[3] & RcodeMask;

    public static int ReadOpcode(ushort flags) => (flags & OpcodeMask) >> 11;

    public static ushort ReadCount(ReadOnlySpan<byte> message, DnsSection section) =>
        BinaryPrimitives.ReadUInt16BigEndian(message[(4 + (2 * (int)section))..]);

    public static void WriteCount(Span<byte> message, DnsSection section, ushort count) =>
        BinaryPrimitives.WriteUInt16BigEndian(message[(4 + (2 * (int)section))..], count);
}
