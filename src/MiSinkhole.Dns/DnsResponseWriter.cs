using System.Buffers.Binary;

namespace MiSinkhole.Dns;

/// <summary>
/// Builds the answers the daemon gives by itself (errors, sinkhole answers, truncated answers)
/// straight into a caller buffer. The question is echoed byte-for-byte from the request, so the
/// client's 0x20 case survives; the ID is echoed, RD copied, and for a standard query CD copied and RA set.
/// </summary>
public static class DnsResponseWriter
{
    /// <summary>Most custom block addresses per family.</summary>
    public const int MaxCustomAddresses = 8;

    /// <summary>Largest sinkhole or error answer: header, question, SOA or custom addresses, OPT with EDE text.</summary>
    public const int MaxLocalAnswerSize = DnsHeader.Size + DnsConstants.MaxNameLength + 4 + (MaxCustomAddresses * 28) + 11 + 6 + 256;

    private const ushort NamePointerToQuestion = 0xC00C;

    // "misinkhole.invalid." and "hostmaster.misinkhole.invalid." in wire form (RFC 6761 .invalid).
    private static readonly byte[] SoaMname = [10, .. "misinkhole"u8, 7, .. "invalid"u8, 0];

    private static readonly byte[] SoaRname = [10, .. "hostmaster"u8, 10, .. "misinkhole"u8, 7, .. "invalid"u8, 0];

    /// <summary>
    /// Writes the header and, when parsed, the echoed question. Returns the length written. RA is
    /// set and CD copied only for a standard query: they (and AD) are defined for QUERY alone, so
    /// an answer to another opcode (a NOTIMP) carries none of them.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, int rcode, bool includeQuestion)
    {
        ushort flags = query.Opcode == 0
            ? (ushort)(DnsHeader.QrFlag | (query.Flags & (DnsHeader.OpcodeMask | DnsHeader.RdFlag | DnsHeader.CdFlag)) | DnsHeader.RaFlag | (rcode & DnsHeader.RcodeMask))
            : (ushort)(DnsHeader.QrFlag | (query.Flags & (DnsHeader.OpcodeMask | DnsHeader.RdFlag)) | (rcode & DnsHeader.RcodeMask));
        DnsHeader.WriteId(destination, query.Id);
        DnsHeader.WriteFlags(destination, flags);
        bool question = includeQuestion && query.QuestionLength > 0;
        DnsHeader.WriteCount(destination, DnsSection.Question, question ? (ushort)1 : (ushort)0);
        DnsHeader.WriteCount(destination, DnsSection.Answer, 0);
        DnsHeader.WriteCount(destination, DnsSection.Authority, 0);
        DnsHeader.WriteCount(destination, DnsSection.Additional, 0);
        if (!question)
        {
            return DnsHeader.Size;
        }

        request.Slice(DnsHeader.Size, query.QuestionLength).CopyTo(destination[DnsHeader.Size..]);
        return DnsHeader.Size + query.QuestionLength;
    }

    /// <summary>An error answer (FORMERR, SERVFAIL, NOTIMP, REFUSED, BADVERS) with an OPT when the client sent one.</summary>
    public static int WriteError(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, int rcode)
    {
        int length = WriteHeader(destination, request, query, rcode, includeQuestion: true);
        if (query.HasEdns || rcode > 15)
        {
            length = AppendOpt(destination, length, query, rcode >> 4, 0, default);
        }

        return length;
    }

    /// <summary>
    /// The sinkhole answer for a blocked query. <paramref name="edeText"/> (UTF-8, e.g. the list
    /// name) goes into an Extended DNS Error "Blocked" when the client sent EDNS.
    /// </summary>
    /// <param name="customIPv4">For <see cref="BlockResponseMode.CustomAddresses"/>: 4 bytes per address.</param>
    /// <param name="customIPv6">For <see cref="BlockResponseMode.CustomAddresses"/>: 16 bytes per address.</param>
    public static int WriteBlocked(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, BlockResponseMode mode, uint ttl, ReadOnlySpan<byte> edeText,
        ReadOnlySpan<byte> customIPv4 = default, ReadOnlySpan<byte> customIPv6 = default)
    {
        int rcode = mode switch
        {
            BlockResponseMode.NxDomain => DnsResponseCode.NxDomain,
            BlockResponseMode.Refused => DnsResponseCode.Refused,
            _ => DnsResponseCode.NoError,
        };
        int length = WriteHeader(destination, request, query, rcode, includeQuestion: true);
        if (mode == BlockResponseMode.NullIp && query.Type is DnsRecordType.A or DnsRecordType.AAAA)
        {
            int addressLength = query.Type == DnsRecordType.A ? 4 : 16;
            length = WriteRecordHeader(destination, length, query.Type, ttl, addressLength);
            destination.Slice(length, addressLength).Clear();
            length += addressLength;
            DnsHeader.WriteCount(destination, DnsSection.Answer, 1);
        }
        else if (mode == BlockResponseMode.CustomAddresses && query.Type is DnsRecordType.A or DnsRecordType.AAAA
            && (query.Type == DnsRecordType.A ? customIPv4 : customIPv6).Length > 0)
        {
            int size = query.Type == DnsRecordType.A ? 4 : 16;
            ReadOnlySpan<byte> addresses = query.Type == DnsRecordType.A ? customIPv4 : customIPv6;
            int count = Math.Min(addresses.Length / size, MaxCustomAddresses);
            for (int i = 0; i < count; i++)
            {
                length = WriteRecordHeader(destination, length, query.Type, ttl, size);
                addresses.Slice(i * size, size).CopyTo(destination[length..]);
                length += size;
            }

            DnsHeader.WriteCount(destination, DnsSection.Answer, (ushort)count);
        }
        else if (mode != BlockResponseMode.Refused)
        {
            length = WriteSoa(destination, length, ttl);
            DnsHeader.WriteCount(destination, DnsSection.Authority, 1);
        }

        if (query.HasEdns)
        {
            length = AppendOpt(destination, length, query, 0, DnsConstants.EdeBlocked, edeText);
        }

        return length;
    }

    /// <summary>
    /// Cuts an answer that does not fit the client's payload size down to header and question
    /// with TC=1 (RFC 2181 §9), keeping the RCODE, plus our OPT when the client sent EDNS.
    /// </summary>
    public static int Truncate(Span<byte> response, in DnsQuery query)
    {
        int length = DnsHeader.Size + query.QuestionLength;
        DnsHeader.WriteFlags(response, (ushort)(DnsHeader.ReadFlags(response) | DnsHeader.TcFlag));
        DnsHeader.WriteCount(response, DnsSection.Answer, 0);
        DnsHeader.WriteCount(response, DnsSection.Authority, 0);
        DnsHeader.WriteCount(response, DnsSection.Additional, 0);
        if (query.HasEdns)
        {
            length = AppendOpt(response, length, query, 0, 0, default);
        }

        return length;
    }

    /// <summary>
    /// Appends our OPT record (payload 1232, version 0, DO echoed) and increments ARCOUNT.
    /// An <paramref name="edeCode"/> above 0 adds an Extended DNS Error option.
    /// </summary>
    public static int AppendOpt(Span<byte> destination, int position, in DnsQuery query, int extendedRcode, ushort edeCode, ReadOnlySpan<byte> edeText)
    {
        int optionsLength = edeCode > 0 ? 6 + edeText.Length : 0;
        destination[position] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 1)..], DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 3)..], DnsConstants.OurEdnsPayloadSize);
        destination[position + 5] = (byte)extendedRcode;
        destination[position + 6] = 0;
        destination[position + 7] = query.DnssecOk ? (byte)0x80 : (byte)0;
        destination[position + 8] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 9)..], (ushort)optionsLength);
        position += 11;
        if (edeCode > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[position..], DnsConstants.EdeOptionCode);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 2)..], (ushort)(2 + edeText.Length));
            BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 4)..], edeCode);
            edeText.CopyTo(destination[(position + 6)..]);
            position += optionsLength;
        }

        DnsHeader.WriteCount(destination, DnsSection.Additional, (ushort)(DnsHeader.ReadCount(destination, DnsSection.Additional) + 1));
        return position;
    }

    private static int WriteRecordHeader(Span<byte> destination, int position, ushort type, uint ttl, int rdataLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[position..], NamePointerToQuestion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 2)..], type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 4)..], DnsRecordType.ClassIN);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 6)..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 10)..], (ushort)rdataLength);
        return position + 12;
    }

    /// <summary>
    /// A synthetic SOA owned by the question name, so negative answers can be cached for
    /// <paramref name="ttl"/> seconds (RFC 2308: min of the SOA TTL and MINIMUM).
    /// </summary>
    private static int WriteSoa(Span<byte> destination, int position, uint ttl)
    {
        int rdataLength = SoaMname.Length + SoaRname.Length + 20;
        position = WriteRecordHeader(destination, position, DnsRecordType.SOA, ttl, rdataLength);
        SoaMname.CopyTo(destination[position..]);
        position += SoaMname.Length;
        SoaRname.CopyTo(destination[position..]);
        position += SoaRname.Length;
        BinaryPrimitives.WriteUInt32BigEndian(destination[position..], 1);          // serial
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 4)..], 3600);  // refresh
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 8)..], 600);   // retry
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 12)..], 86400); // expire
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 16)..], ttl);  // minimum
        return position + 20;
    }
}
