using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// How the inventory tells clients that are no configured device apart: by MAC address when
/// the neighbour table knows it (so IPv6 privacy addresses of one phone stay one client), else
/// by IP address.
/// </summary>
public readonly record struct ClientKey(UInt128 Bits, bool IsIPv4, ulong Mac)
{
    public static ClientKey For(in ClientAddress client, INeighbourTable neighbours) =>
        neighbours.TryGetMac(client, out MacAddress mac) ? new ClientKey(0, false, mac.Value) : new ClientKey(client.Bits, client.IsIPv4, 0);

    public override string ToString() => Mac != 0 ? new MacAddress(Mac).ToString() : new ClientAddress(Bits, IsIPv4, 0).ToString();
}
