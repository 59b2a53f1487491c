namespace MiSinkhole.Dns;

/// <summary>
/// What the parser read from a query: header fields, the question's extent (the question is
/// echoed byte-for-byte from the request, preserving the client's 0x20 case) and EDNS data.
/// The lowercased question name lives in the buffer the caller gave the parser.
/// </summary>
public struct DnsQuery
{
    public ushort Id { get; set; }
    public ushort Flags { get; set; }

    /// <summary>Bytes of the question section (name + type + class) starting at offset 12; 0 when not parsed.</summary>
    public int QuestionLength { get; set; }

    /// <summary>Wire length of the question name including the root label.</summary>
    public int NameLength { get; set; }

    public ushort Type { get; set; }
    public ushort Class { get; set; }

    public bool HasEdns { get; set; }

    /// <summary>The client's UDP payload size, raised to 512 when it advertised less.</summary>
    public ushort EdnsPayloadSize { get; set; }

    public byte EdnsVersion { get; set; }
    public bool DnssecOk { get; set; }

    public readonly int Opcode => DnsHeader.ReadOpcode(Flags);

    public readonly bool RecursionDesired => (Flags & DnsHeader.RdFlag) != 0;

    public readonly bool CheckingDisabled => (Flags & DnsHeader.CdFlag) != 0;

    /// <summary>Largest answer the client accepts over UDP: its EDNS size, or 512 without EDNS.</summary>
    public readonly int MaxUdpResponseSize => HasEdns ? EdnsPayloadSize : DnsConstants.ClassicUdpPayload;
}
