using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// One address a DHCP server handed out, as read from its lease file: what the lease parsers
/// return, so that names (and hardware addresses) of clients that no configured device covers can
/// be found without asking the network.
/// </summary>
/// <param name="Address">The leased address (port 0).</param>
/// <param name="Mac">The client's hardware address, when the lease records an Ethernet one (DHCPv6 leases do not).</param>
/// <param name="HostName">The host name the client sent, or null when it sent none.</param>
/// <param name="Expires">When the lease ends; null for a lease that never ends.</param>
public sealed record LeaseEntry(ClientAddress Address, MacAddress? Mac, string? HostName, DateTimeOffset? Expires)
{
    /// <summary>True while the lease is valid at <paramref name="now"/>.</summary>
    public bool IsCurrent(DateTimeOffset now) => Expires is not { } expires || expires > now;
}
