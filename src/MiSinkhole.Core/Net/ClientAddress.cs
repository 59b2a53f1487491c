using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.Core.Net;

/// <summary>
/// A client's IP address as a value (no <see cref="IPAddress"/> allocation per query). IPv4 and
/// IPv4-mapped IPv6 addresses are both kept as IPv4 in the low 32 bits.
/// </summary>
public readonly record struct ClientAddress(UInt128 Bits, bool IsIPv4, ushort Port)
{
    /// <summary>Reads a Linux/Windows sockaddr_in or sockaddr_in6 buffer.</summary>
    public static ClientAddress FromSocketAddress(SocketAddress address)
    {
        ReadOnlySpan<byte> raw = address.Buffer.Span;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(raw[2..]);
        if (address.Family == AddressFamily.InterNetwork)
        {
            return new ClientAddress(BinaryPrimitives.ReadUInt32BigEndian(raw[4..]), true, port);
        }

        return FromIPv6Bytes(raw.Slice(8, 16), port);
    }

    public static ClientAddress FromIPv6Bytes(ReadOnlySpan<byte> bytes, ushort port) => FromIPv6Bits(BinaryPrimitives.ReadUInt128BigEndian(bytes), port);

    /// <summary>An IPv6 address's 128 bits (an IPv4-mapped one kept as IPv4).</summary>
    public static ClientAddress FromIPv6Bits(UInt128 bits, ushort port = 0) =>
        (bits >> 32) == 0xFFFF ? new ClientAddress((uint)bits, true, port) : new ClientAddress(bits, false, port);

    public static ClientAddress FromEndPoint(IPEndPoint endPoint) => FromIPAddress(endPoint.Address, (ushort)endPoint.Port);

    public static ClientAddress FromIPAddress(IPAddress address, ushort port = 0)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4
            ? new ClientAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes), true, port)
            : new ClientAddress(BinaryPrimitives.ReadUInt128BigEndian(bytes), false, port);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Bits);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, Bits);
        return new IPAddress(bytes);
    }

    public override string ToString() => ToIPAddress().ToString();
}
