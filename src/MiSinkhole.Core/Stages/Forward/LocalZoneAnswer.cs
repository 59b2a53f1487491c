using System.Buffers.Binary;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Answers a question in a <see cref="LocalZone"/> the way RFC 6303 §3 says such a zone is served:
/// <c>@ 10800 IN SOA @ nobody.invalid. 1 3600 1200 604800 10800</c> and <c>@ 10800 IN NS @</c> at the
/// apex and nothing else. A name below the apex gets NXDOMAIN, the apex NODATA (or its SOA / NS
/// when asked for them), both with the SOA in authority so the cache keeps them (RFC 2308) for
/// 10800 s. In <c>localhost</c> (RFC 6761 §6.3) every name has A 127.0.0.1 and AAAA ::1. The
/// message is built on the wire and read back with <see cref="DnsAnswer.TryParse"/>, so it is
/// served and cached exactly like an upstream's.
/// </summary>
public static class LocalZoneAnswer
{
    /// <summary>TTL of every record, and the SOA MINIMUM: RFC 6303 §3.</summary>
    internal const uint Ttl = 10800;

    /// <summary>nobody.invalid. — the SOA RNAME of RFC 6303 §3.</summary>
    private static ReadOnlySpan<byte> Nobody => "\u0006nobody\u0007invalid\0"u8;

    /// <summary>
    /// The answer to <paramref name="lowerName"/> (wire form, lowercase, inside <paramref name="zone"/>);
    /// null only if the name is not in the zone.
    /// </summary>
    public static DnsAnswer? Build(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, LocalZone zone)
    {
        int zoneOffset = lowerName.Length - zone.WireName.Length;
        if (zoneOffset < 0 || !lowerName[zoneOffset..].SequenceEqual(zone.WireName))
        {
            return null;
        }

        bool apex = zoneOffset == 0;
        ushort zonePointer = (ushort)(0xC000 | (DnsHeader.Size + zoneOffset));
        const ushort namePointer = 0xC000 | DnsHeader.Size;
        Span<byte> message = stackalloc byte[DnsHeader.Size + lowerName.Length + 4 + 128];
        int position = DnsHeader.Size;
        lowerName.CopyTo(message[position..]);
        position += lowerName.Length;
        BinaryPrimitives.WriteUInt16BigEndian(message[position..], type);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 2)..], @class);
        position += 4;

        int rcode = DnsResponseCode.NoError;
        ushort answers = 0;
        if (zone.Loopback && type is DnsRecordType.A or DnsRecordType.AAAA)
        {
            position = Address(message, position, namePointer, type);
            answers = 1;
        }
        else if (apex && type == DnsRecordType.NS)
        {
            position = Record(message, position, zonePointer, DnsRecordType.NS, 2);
            BinaryPrimitives.WriteUInt16BigEndian(message[position..], zonePointer);
            position += 2;
            answers = 1;
        }
        else if (apex && type == DnsRecordType.SOA)
        {
            position = Soa(message, position, zonePointer);
            answers = 1;
        }
        else if (!apex && !zone.Loopback)
        {
            rcode = DnsResponseCode.NxDomain;
        }

        ushort authority = 0;
        if (answers == 0)
        {
            position = Soa(message, position, zonePointer);
            authority = 1;
        }

        DnsHeader.WriteFlags(message, (ushort)(DnsHeader.QrFlag | DnsHeader.AaFlag | DnsHeader.RdFlag | DnsHeader.RaFlag | rcode));
        DnsHeader.WriteCount(message, DnsSection.Question, 1);
        DnsHeader.WriteCount(message, DnsSection.Answer, answers);
        DnsHeader.WriteCount(message, DnsSection.Authority, authority);
        return DnsAnswer.TryParse(message[..position], lowerName, type, @class);
    }

    private static int Record(Span<byte> message, int position, ushort owner, ushort type, int rdataLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message[position..], owner);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 2)..], type);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 4)..], DnsRecordType.ClassIN);
        BinaryPrimitives.WriteUInt32BigEndian(message[(position + 6)..], Ttl);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 10)..], (ushort)rdataLength);
        return position + 12;
    }

    private static int Soa(Span<byte> message, int position, ushort zonePointer)
    {
        position = Record(message, position, zonePointer, DnsRecordType.SOA, 2 + Nobody.Length + 20);
        BinaryPrimitives.WriteUInt16BigEndian(message[position..], zonePointer); // MNAME: the zone itself
        position += 2;
        Nobody.CopyTo(message[position..]);
        position += Nobody.Length;
        foreach (uint value in (ReadOnlySpan<uint>)[1, 3600, 1200, 604800, Ttl]) // serial, refresh, retry, expire, minimum
        {
            BinaryPrimitives.WriteUInt32BigEndian(message[position..], value);
            position += 4;
        }

        return position;
    }

    private static int Address(Span<byte> message, int position, ushort owner, ushort type)
    {
        int length = type == DnsRecordType.A ? 4 : 16;
        position = Record(message, position, owner, type, length);
        message.Slice(position, length).Clear();
        if (type == DnsRecordType.A)
        {
            message[position] = 127;
            message[position + 3] = 1; // 127.0.0.1
        }
        else
        {
            message[position + 15] = 1; // ::1
        }

        return position + length;
    }
}
