using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace MiSinkhole.Dns;

/// <summary>
/// The EDNS options by which a forwarding router names the client behind it, read into the
/// query without allocating: EDNS Client Subnet (RFC 7871, option 8; dnsmasq's
/// <c>add-subnet</c>), and dnsmasq's <c>add-mac</c> (option 65001, the raw 6-byte MAC) and
/// <c>add-mac=text|base64</c> (option 65073, "aa:bb:cc:dd:ee:ff" or the 6 bytes in base64).
/// Whether they are believed is the caller's decision (only from trusted forwarders).
/// </summary>
public static class EdnsClientOptions
{
    /// <summary>EDNS Client Subnet (RFC 7871).</summary>
    public const ushort ClientSubnet = 8;

    /// <summary>dnsmasq's <c>add-mac</c>: the client's MAC, raw (an unassigned code in the private range, as dnsmasq and Pi-hole use it).</summary>
    public const ushort Mac = 65001;

    /// <summary>dnsmasq's <c>add-mac=text</c> / <c>add-mac=base64</c> (Nominum's device id option code).</summary>
    public const ushort DeviceId = 65073;

    private const int MacLength = 6;

    /// <summary>
    /// Reads option <paramref name="code"/> when it is one of these into <paramref name="query"/>.
    /// False only for a malformed ECS option, which RFC 7871 §7.1.1 answers with FORMERR; a MAC
    /// option in a shape dnsmasq does not send is ignored.
    /// </summary>
    public static bool TryRead(ushort code, ReadOnlySpan<byte> data, ref DnsQuery query)
    {
        switch (code)
        {
            case ClientSubnet:
                return TryReadSubnet(data, ref query);
            case Mac when data.Length == MacLength:
                query.EdnsMac = ReadMac(data);
                return true;
            case DeviceId when TryReadMacText(data, out ulong mac):
                query.EdnsMac = mac;
                return true;
            default:
                return true;
        }
    }

    private static bool TryReadSubnet(ReadOnlySpan<byte> data, ref DnsQuery query)
    {
        if (data.Length < 4)
        {
            return false;
        }

        ushort family = BinaryPrimitives.ReadUInt16BigEndian(data);
        byte source = data[2];
        ReadOnlySpan<byte> address = data[4..];
        int bits = family switch { 1 => 32, 2 => 128, _ => 0 };
        if (bits == 0)
        {
            return family == 0 && source == 0 && address.IsEmpty; // "no subnet at all": nothing to read
        }

        if (source > bits || address.Length != (source + 7) / 8)
        {
            return false;
        }

        Span<byte> full = stackalloc byte[16];
        full.Clear();
        address.CopyTo(full);
        if (source % 8 != 0 && (full[(source / 8)] & (0xFF >> (source % 8))) != 0)
        {
            return false; // bits set past the source prefix (RFC 7871 §6)
        }

        query.EcsFamily = (byte)family;
        query.EcsSourcePrefix = source;
        query.EcsAddress = bits == 32 ? BinaryPrimitives.ReadUInt32BigEndian(full) : BinaryPrimitives.ReadUInt128BigEndian(full);
        return true;
    }

    private static ulong ReadMac(ReadOnlySpan<byte> bytes)
    {
        ulong mac = 0;
        foreach (byte b in bytes)
        {
            mac = (mac << 8) | b;
        }

        return mac;
    }

    /// <summary>"aa:bb:cc:dd:ee:ff" (dnsmasq's text form, '-' also taken) or 8 characters of base64.</summary>
    private static bool TryReadMacText(ReadOnlySpan<byte> text, out ulong mac)
    {
        mac = 0;
        Span<byte> bytes = stackalloc byte[MacLength];
        if (text.Length == 17)
        {
            for (int i = 0; i < MacLength; i++)
            {
                int hi = HexValue(text[i * 3]);
                int lo = HexValue(text[(i * 3) + 1]);
                if (hi < 0 || lo < 0 || (i < MacLength - 1 && text[(i * 3) + 2] is not ((byte)':' or (byte)'-')))
                {
                    return false;
                }

                bytes[i] = (byte)((hi << 4) | lo);
            }
        }
        else if (text.Length != 8 || Base64.DecodeFromUtf8(text, bytes, out _, out int written) != OperationStatus.Done || written != MacLength)
        {
            return false;
        }

        mac = ReadMac(bytes);
        return mac != 0;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
