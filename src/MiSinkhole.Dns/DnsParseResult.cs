namespace MiSinkhole.Dns;

/// <summary>What the query parser decided about a packet.</summary>
public enum DnsParseResult
{
    /// <summary>A well-formed standard query with one question.</summary>
    Ok,

    /// <summary>Malformed: answer FORMERR (the header is readable, so the ID can be echoed).</summary>
    FormatError,

    /// <summary>Opcode other than QUERY: answer NOTIMP.</summary>
    NotImplemented,

    /// <summary>EDNS version above 0: answer BADVERS (RFC 6891 §6.1.3).</summary>
    BadVersion,

    /// <summary>No reply at all: shorter than a header, or a response (QR=1).</summary>
    Drop,
}
