using System.Buffers.Binary;

namespace MiSinkhole.Dns;

/// <summary>
/// An upstream answer in the form the cache keeps and serves: the wire message without its OPT
/// record (each client gets our own OPT, or none), plus where every TTL sits so a served copy can
/// count TTLs down in place. Built once per upstream answer (the miss path), served many times.
/// </summary>
public sealed class DnsAnswer
{
    private DnsAnswer(byte[] message, int questionLength, int[] ttlOffsets, uint[] ttls, byte[][] cnameTargets)
    {
        Message = message;
        QuestionLength = questionLength;
        TtlOffsets = ttlOffsets;
        Ttls = ttls;
        CnameTargets = cnameTargets;
    }

    /// <summary>The message without OPT; ID and question case are patched per client when served.</summary>
    public byte[] Message { get; }

    public int QuestionLength { get; }

    /// <summary>Offsets of the TTL field of every record (answer, authority, additional).</summary>
    public int[] TtlOffsets { get; }

    /// <summary>The TTLs as received, parallel to <see cref="TtlOffsets"/>.</summary>
    public uint[] Ttls { get; }

    /// <summary>Targets of the answer section's CNAME records, lowercased wire names, in order.</summary>
    public byte[][] CnameTargets { get; }

    public int Rcode => Message[3] & DnsHeader.RcodeMask;

    /// <summary>
    /// The upper 8 bits of the RCODE from the upstream's OPT (RFC 6891 §6.1.3). Non-zero means
    /// an extended error (BADVERS, BADCOOKIE …) that the 4-bit RCODE alone would misstate.
    /// </summary>
    public int ExtendedRcode { get; private set; }

    public bool Truncated => (DnsHeader.ReadFlags(Message) & DnsHeader.TcFlag) != 0;

    public int AnswerCount => DnsHeader.ReadCount(Message, DnsSection.Answer);

    /// <summary>NXDOMAIN, or NOERROR without answers (NODATA): cached per RFC 2308.</summary>
    public bool IsNegative => Rcode == DnsResponseCode.NxDomain || (Rcode == DnsResponseCode.NoError && AnswerCount == 0);

    /// <summary>
    /// How long the answer may be cached: the smallest record TTL for a positive answer; for a
    /// negative one min(SOA TTL, SOA MINIMUM) of the authority section's SOA, or null without SOA
    /// (RFC 2308 §5: not cached). Null also for other RCODEs and truncated answers.
    /// </summary>
    public uint? CacheTtl { get; private set; }

    /// <summary>Records whose TTLs are collected on the stack while parsing; more take an array.</summary>
    private const int StackRecords = 64;

    /// <summary>
    /// Validates an upstream response against the question that was asked and converts it.
    /// Returns null when the message is malformed, not a response or answers another question.
    /// </summary>
    public static DnsAnswer? TryParse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> lowerName, ushort type, ushort @class)
    {
        if (response.Length < DnsHeader.Size || (DnsHeader.ReadFlags(response) & DnsHeader.QrFlag) == 0
            || DnsHeader.ReadCount(response, DnsSection.Question) != 1)
        {
            return null;
        }

        Span<byte> name = stackalloc byte[DnsConstants.MaxNameLength];
        if (!DnsName.TryRead(response, DnsHeader.Size, name, out int position, out int nameLength)
            || position + 4 > response.Length
            || !name[..nameLength].SequenceEqual(lowerName)
            || BinaryPrimitives.ReadUInt16BigEndian(response[position..]) != type
            || BinaryPrimitives.ReadUInt16BigEndian(response[(position + 2)..]) != @class)
        {
            return null;
        }

        position += 4;
        int questionLength = position - DnsHeader.Size;
        if (response[DnsHeader.Size] >= 0xC0)
        {
            // A compressed question name would change length when we echo the client's; refuse it.
            return null;
        }

        int answers = DnsHeader.ReadCount(response, DnsSection.Answer);
        int authority = DnsHeader.ReadCount(response, DnsSection.Authority);
        int additional = DnsHeader.ReadCount(response, DnsSection.Additional);
        int total = answers + authority + additional;
        // Collected on the stack (a typical answer has a handful of records), copied out once.
        Span<int> ttlOffsets = total <= StackRecords ? stackalloc int[StackRecords] : new int[total];
        Span<uint> ttls = total <= StackRecords ? stackalloc uint[StackRecords] : new uint[total];
        int records = 0;
        List<byte[]>? cnames = null;
        uint minTtl = uint.MaxValue;
        uint? negativeTtl = null;
        int extendedRcode = 0;
        int keptAdditional = 0;
        int end = position;
        for (int i = 0; i < total; i++)
        {
            if (!DnsQueryParser.TrySkipRecord(response, ref position, out ushort rrType, out int rdataOffset, out int rdataLength))
            {
                return null;
            }

            if (rrType == DnsRecordType.OPT)
            {
                if (i < answers + authority)
                {
                    return null;
                }

                // OPT is per hop: drop it and anything after it in the additional section, but
                // keep its extended RCODE bits (owner is the root: TTL starts 3 bytes after it).
                extendedRcode = response[rdataOffset - 6];
                break;
            }

            int ttlOffset = rdataOffset - 6;
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(response[ttlOffset..]);
            if (ttl > int.MaxValue)
            {
                ttl = 0; // RFC 2181 §8: a TTL with the top bit set counts as zero.
            }

            ttlOffsets[records] = ttlOffset;
            ttls[records++] = ttl;
            if (rrType != DnsRecordType.RRSIG || i < answers)
            {
                minTtl = Math.Min(minTtl, ttl);
            }

            if (i < answers && rrType == DnsRecordType.CNAME)
            {
                if (!DnsName.TryRead(response, rdataOffset, name, out int afterTarget, out int targetLength) || afterTarget != rdataOffset + rdataLength)
                {
                    return null;
                }

                (cnames ??= []).Add(name[..targetLength].ToArray());
            }
            else if (i >= answers && i < answers + authority && rrType == DnsRecordType.SOA && rdataLength >= 22)
            {
                uint soaMinimum = BinaryPrimitives.ReadUInt32BigEndian(response[(rdataOffset + rdataLength - 4)..]);
                negativeTtl = Math.Min(ttl, soaMinimum > int.MaxValue ? 0 : soaMinimum);
            }

            if (i >= answers + authority)
            {
                keptAdditional++;
            }

            end = position;
        }

        byte[] message = response[..end].ToArray();
        DnsHeader.WriteCount(message, DnsSection.Additional, (ushort)keptAdditional);
        var answer = new DnsAnswer(message, questionLength, ttlOffsets[..records].ToArray(), ttls[..records].ToArray(), cnames?.ToArray() ?? [])
        {
            ExtendedRcode = extendedRcode,
        };
        if (!answer.Truncated && extendedRcode == 0)
        {
            if (answer.IsNegative)
            {
                answer.CacheTtl = negativeTtl;
            }
            else if (answer.Rcode == DnsResponseCode.NoError)
            {
                answer.CacheTtl = minTtl == uint.MaxValue ? 0 : minTtl;
            }
        }

        return answer;
    }

    /// <summary>
    /// Writes this answer for one client: copies the message, echoes the client's ID and question
    /// bytes (0x20 case), sets header flags for a recursive answer, counts TTLs down by
    /// <paramref name="elapsedSeconds"/> (each TTL clamped to [min, max] first) and appends our OPT
    /// when the client sent EDNS. Returns the length, or -1 when the destination (or a 65535-byte
    /// DNS message) is too small.
    /// </summary>
    public int WriteTo(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, uint elapsedSeconds, uint minTtl, uint maxTtl) =>
        Write(destination, request, query, elapsedSeconds, minTtl, maxTtl, 0);

    /// <summary>
    /// Writes this answer, expired, as a stale answer (RFC 8767): every TTL is
    /// <paramref name="staleTtl"/>, and a client that sent EDNS gets Extended DNS Error 3 (Stale
    /// Answer), or 19 (Stale NXDOMAIN Answer) for an NXDOMAIN (RFC 8914). Returns the length, or -1
    /// as <see cref="WriteTo"/>.
    /// </summary>
    public int WriteStaleTo(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, uint staleTtl) =>
        Write(destination, request, query, 0, staleTtl, staleTtl, Rcode == DnsResponseCode.NxDomain ? DnsConstants.EdeStaleNxDomainAnswer : DnsConstants.EdeStaleAnswer);

    private int Write(Span<byte> destination, ReadOnlySpan<byte> request, in DnsQuery query, uint elapsedSeconds, uint minTtl, uint maxTtl, ushort edeCode)
    {
        byte[] message = Message;
        int needed = message.Length + (query.HasEdns ? (edeCode > 0 ? 17 : 11) : 0);
        if (needed > destination.Length || needed > DnsConstants.MaxMessageSize || query.QuestionLength != QuestionLength)
        {
            return -1; // does not fit (not even a TCP frame can carry more than 65535 bytes)
        }

        message.CopyTo(destination);
        request.Slice(DnsHeader.Size, QuestionLength).CopyTo(destination[DnsHeader.Size..]);
        DnsHeader.WriteId(destination, query.Id);
        ushort upstreamFlags = DnsHeader.ReadFlags(message);
        bool clientWantsAd = query.DnssecOk || (query.Flags & DnsHeader.AdFlag) != 0;
        ushort flags = (ushort)(DnsHeader.QrFlag | DnsHeader.RaFlag
            | (query.Flags & (DnsHeader.RdFlag | DnsHeader.CdFlag))
            | (clientWantsAd ? upstreamFlags & DnsHeader.AdFlag : 0)
            | (upstreamFlags & DnsHeader.RcodeMask));
        DnsHeader.WriteFlags(destination, flags);

        int[] offsets = TtlOffsets;
        uint[] ttls = Ttls;
        for (int i = 0; i < offsets.Length; i++)
        {
            uint ttl = Math.Clamp(ttls[i], minTtl, maxTtl);
            ttl = ttl > elapsedSeconds ? ttl - elapsedSeconds : 0;
            BinaryPrimitives.WriteUInt32BigEndian(destination[offsets[i]..], ttl);
        }

        int length = message.Length;
        if (query.HasEdns)
        {
            length = DnsResponseWriter.AppendOpt(destination, length, query, 0, edeCode, default);
        }

        return length;
    }
}
