namespace MiSinkhole.Dns;

/// <summary>How a blocked name is answered (the <c>BlockResponse</c> of a policy).</summary>
public enum BlockResponseMode
{
    /// <summary>A → 0.0.0.0, AAAA → ::, every other type NODATA with an SOA.</summary>
    NullIp,

    /// <summary>NXDOMAIN with an SOA.</summary>
    NxDomain,

    /// <summary>NOERROR without answers (NODATA) with an SOA.</summary>
    NoData,

    /// <summary>REFUSED, no records.</summary>
    Refused,

    /// <summary>
    /// Configured addresses: A gets the IPv4 ones, AAAA the IPv6 ones (e.g. a local page that
    /// explains the block); a type without addresses, and every other type, NODATA with an SOA.
    /// </summary>
    CustomAddresses,
}
