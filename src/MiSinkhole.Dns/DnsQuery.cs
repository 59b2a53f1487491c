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

    /// <summary>
    /// A MAC address a forwarding router put in the query (dnsmasq's <c>add-mac</c>: option 65001
    /// raw, or 65073 as text or base64), as 48 bits; 0 when none. Only trusted forwarders' count.
    /// </summary>
    public ulong EdnsMac { get; set; }

    /// <summary>The EDNS Client Subnet option's family (RFC 7871: 1 IPv4, 2 IPv6); 0 when the query has none.</summary>
    public byte EcsFamily { get; set; }

    /// <summary>The ECS option's source prefix length.</summary>
    public byte EcsSourcePrefix { get; set; }

    /// <summary>The ECS option's address (IPv4 in the low 32 bits), zero past the source prefix.</summary>
    public UInt128 EcsAddress { get; set; }

    /// <summary>Whether the query names a client of its own (MAC or ECS): what a forwarding router adds.</summary>
    public readonly bool HasClientOptions => EdnsMac != 0 || EcsFamily != 0;

    public readonly int Opcode => DnsHeader.ReadOpcode(Flags);

    public readonly bool RecursionDesired => (Flags & DnsHeader.RdFlag) != 0;

    public readonly bool CheckingDisabled => (Flags & DnsHeader.CdFlag) != 0;

    /// <summary>Largest answer the client accepts over UDP: its EDNS size, or 512 without EDNS.</summary>
    public readonly int MaxUdpResponseSize => HasEdns ? EdnsPayloadSize : DnsConstants.ClassicUdpPayload;
}
