using System.Collections.Concurrent;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Clients;

/// <summary>
/// Clients flagged as probable Xiaomi devices, by address and by MAC (so a phone's IPv6 privacy
/// addresses share its flag): written by the device inventory when it sees the evidence (and
/// when it restores its saved records), read by <see cref="ClientPolicyResolver"/> for
/// <c>Devices:AutoPolicy</c>. A lookup allocates nothing.
/// </summary>
public sealed class XiaomiClients
{
    private readonly ConcurrentDictionary<ClientKey, byte> _addresses = new();
    private readonly ConcurrentDictionary<ulong, byte> _macs = new();

    /// <summary>Flags the client at <paramref name="address"/> and, when known, its MAC.</summary>
    public void Flag(in ClientAddress address, ulong mac)
    {
        _addresses.TryAdd(ClientKey.From(address), 0);
        if (mac != 0)
        {
            _macs.TryAdd(mac, 0);
        }
    }

    /// <summary>Flags a MAC alone (a client a forwarding router named by its MAC, from the router's address).</summary>
    public void FlagMac(ulong mac)
    {
        if (mac != 0)
        {
            _macs.TryAdd(mac, 0);
        }
    }

    /// <summary>Forgets the address (the inventory forgot the client); its MAC stays flagged.</summary>
    public void Forget(ClientKey client) => _addresses.TryRemove(client, out _);

    /// <summary>Addresses flagged (bounded by the inventory, which forgets them with its clients).</summary>
    public int FlaggedAddresses => _addresses.Count;

    public bool IsFlagged(in ClientIdentity client, INeighbourTable neighbours)
    {
        if (client.HasAddress && !_addresses.IsEmpty && _addresses.ContainsKey(ClientKey.From(client.Address)))
        {
            return true;
        }

        return !_macs.IsEmpty && client.TryGetMac(neighbours, out MacAddress mac) && _macs.ContainsKey(mac.Value);
    }
}
