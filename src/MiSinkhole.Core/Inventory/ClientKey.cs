using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// How the inventory tells clients that are no configured device apart: by address (the port
/// ignored). A stable key, so one client never splits into two entries when the neighbour table
/// learns or forgets its MAC; the MAC is kept as an attribute.
/// </summary>
public readonly record struct ClientKey(UInt128 Bits, bool IsIPv4)
{
    public static ClientKey From(in ClientAddress client) => new(client.Bits, client.IsIPv4);

    public override string ToString() => new ClientAddress(Bits, IsIPv4, 0).ToString();
}
