namespace MiSinkhole.Dns;

/// <summary>Protocol limits and the daemon's own EDNS parameters.</summary>
public static class DnsConstants
{
    /// <summary>Classic UDP payload limit without EDNS (RFC 1035 §4.2.1).</summary>
    public const int ClassicUdpPayload = 512;

    /// <summary>Our advertised EDNS payload size (DNS Flag Day 2020 recommendation).</summary>
    public const ushort OurEdnsPayloadSize = 1232;

    public const int MaxNameLength = 255;
    public const int MaxLabelLength = 63;
    public const int MaxMessageSize = 65535;

    /// <summary>EDNS option code of Extended DNS Errors (RFC 8914).</summary>
    public const ushort EdeOptionCode = 15;

    /// <summary>EDE info code 3: Stale Answer (RFC 8767: served past its TTL because no upstream answered in time).</summary>
    public const ushort EdeStaleAnswer = 3;

    /// <summary>EDE info code 19: Stale NXDOMAIN Answer (RFC 8914: a cached NXDOMAIN served past its TTL).</summary>
    public const ushort EdeStaleNxDomainAnswer = 19;

    /// <summary>EDE info code 15: Blocked.</summary>
    public const ushort EdeBlocked = 15;

    /// <summary>EDE info code 17: Filtered.</summary>
    public const ushort EdeFiltered = 17;
}
