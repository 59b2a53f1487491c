using System.Buffers.Binary;

namespace MiSinkhole.Dns;

/// <summary>
/// Parses an incoming query without allocating: header, the single question (its name lowercased
/// into a caller buffer) and the OPT record. Every other record is walked and bounds-checked so
/// lying counts, bad pointers and truncated input end in <see cref="DnsParseResult.FormatError"/>.
/// </summary>
public static class DnsQueryParser
{
    /// <summary>Additional records a query may carry (OPT, TSIG, SIG(0) and some slack).</summary>
    public const int MaxAdditionalRecords = 4;

    /// <param name="packet">The received bytes.</param>
    /// <param name="lowerName">At least 255 bytes; receives the lowercased question name in wire form.</param>
    public static DnsParseResult Parse(ReadOnlySpan<byte> packet, Span<byte> lowerName, out DnsQuery query)
    {
        query = default;
        if (packet.Length < DnsHeader.Size)
        {
            return DnsParseResult.Drop;
        }

        query.Id = DnsHeader.ReadId(packet);
        query.Flags = DnsHeader.ReadFlags(packet);
        if ((query.Flags & DnsHeader.QrFlag) != 0)
        {
            return DnsParseResult.Drop;
        }

        ushort qdCount = DnsHeader.ReadCount(packet, DnsSection.Question);
        if (qdCount != 1)
        {
            return query.Opcode != 0 ? DnsParseResult.NotImplemented : DnsParseResult.FormatError;
        }

        if (!TryParseQuestion(packet, lowerName, ref query))
        {
            return DnsParseResult.FormatError;
        }

        if (query.Opcode != 0)
        {
            return DnsParseResult.NotImplemented;
        }

        // A standard query carries no answer or authority records, and in the additional section
        // at most an OPT and a signature or two: anything more is malformed, and refusing it
        // early bounds the work a crafted packet can cause.
        int position = DnsHeader.Size + query.QuestionLength;
        int additional = DnsHeader.ReadCount(packet, DnsSection.Additional);
        if (DnsHeader.ReadCount(packet, DnsSection.Answer) != 0 || DnsHeader.ReadCount(packet, DnsSection.Authority) != 0
            || additional > MaxAdditionalRecords)
        {
            return DnsParseResult.FormatError;
        }

        for (int i = 0; i < additional; i++)
        {
            int start = position;
            if (!TrySkipRecord(packet, ref position, out ushort type, out int rdataOffset, out int rdataLength))
            {
                return DnsParseResult.FormatError;
            }

            if (type == DnsRecordType.OPT)
            {
                // One OPT at most, owned by the root name (RFC 6891 §6.1.1).
                if (query.HasEdns || packet[start] != 0 || !TryReadOpt(packet, start, rdataOffset, rdataLength, ref query))
                {
                    return DnsParseResult.FormatError;
                }
            }
        }

        return query.HasEdns && query.EdnsVersion != 0 ? DnsParseResult.BadVersion : DnsParseResult.Ok;
    }

    private static bool TryParseQuestion(ReadOnlySpan<byte> packet, Span<byte> lowerName, ref DnsQuery query)
    {
        // A query's question has nothing before it to point at: compression there is malformed.
        int position = DnsHeader.Size;
        int length = 0;
        while (true)
        {
            if (position >= packet.Length)
            {
                return false;
            }

            byte labelLength = packet[position];
            if (labelLength == 0)
            {
                lowerName[length++] = 0;
                position++;
                break;
            }

            if (labelLength > DnsConstants.MaxLabelLength || position + 1 + labelLength > packet.Length
                || length + 1 + labelLength + 1 > DnsConstants.MaxNameLength)
            {
                return false;
            }

            lowerName[length] = labelLength;
            DnsName.ToLower(packet.Slice(position + 1, labelLength), lowerName.Slice(length + 1, labelLength));
            length += 1 + labelLength;
            position += 1 + labelLength;
        }

        if (position + 4 > packet.Length)
        {
            return false;
        }

        query.NameLength = length;
        query.Type = BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
        query.Class = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
        query.QuestionLength = position + 4 - DnsHeader.Size;
        return true;
    }

    /// <summary>Skips one resource record, validating its owner name and RDATA bounds.</summary>
    public static bool TrySkipRecord(ReadOnlySpan<byte> packet, ref int position, out ushort type, out int rdataOffset, out int rdataLength)
    {
        type = 0;
        rdataOffset = 0;
        rdataLength = 0;
        if (!DnsName.TrySkip(packet, position, out int afterName) || afterName + 10 > packet.Length)
        {
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(packet[afterName..]);
        rdataLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(afterName + 8)..]);
        rdataOffset = afterName + 10;
        if (rdataOffset + rdataLength > packet.Length)
        {
            return false;
        }

        position = rdataOffset + rdataLength;
        return true;
    }

    private static bool TryReadOpt(ReadOnlySpan<byte> packet, int start, int rdataOffset, int rdataLength, ref DnsQuery query)
    {
        // Owner (root, 1 byte), TYPE, CLASS = payload size, TTL = ext-rcode | version | DO | Z.
        ushort payload = BinaryPrimitives.ReadUInt16BigEndian(packet[(start + 3)..]);
        query.HasEdns = true;
        query.EdnsPayloadSize = Math.Max(payload, (ushort)DnsConstants.ClassicUdpPayload);
        query.EdnsVersion = packet[start + 6];
        query.DnssecOk = (packet[start + 7] & 0x80) != 0;

        // Options: code, length, data. Unknown ones are ignored, but their framing must hold.
        int position = rdataOffset;
        int end = rdataOffset + rdataLength;
        while (position < end)
        {
            if (position + 4 > end)
            {
                return false;
            }

            ushort code = BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
            int optionLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
            int data = position + 4;
            position = data + optionLength;
            if (position > end)
            {
                return false;
            }

            if (!EdnsClientOptions.TryRead(code, packet.Slice(data, optionLength), ref query))
            {
                return false;
            }
        }

        return true;
    }
}
