using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// The host's neighbour tables (IPv4 ARP, IPv6 NDP): which hardware address an IP address on the
/// local network belongs to. Lookups answer from a cached copy and never wait; a miss may ask for
/// a refresh in the background.
/// </summary>
public interface INeighbourTable
{
    /// <summary>The MAC address of <paramref name="address"/>, if the cached table knows it.</summary>
    bool TryGetMac(in ClientAddress address, out MacAddress mac);
}
