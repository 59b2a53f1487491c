using System.Collections.Concurrent;
using MiSinkhole.Core.Devices;
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
    private readonly ConcurrentDictionary<(UInt128 Bits, bool IsIPv4), byte> _addresses = new();
    private readonly ConcurrentDictionary<ulong, byte> _macs = new();

    /// <summary>Flags the client at <paramref name="address"/> and, when known, its MAC.</summary>
    public void Flag(in ClientAddress address, ulong mac)
    {
        _addresses.TryAdd((address.Bits, address.IsIPv4), 0);
        if (mac != 0)
        {
            _macs.TryAdd(mac, 0);
        }
    }

    /// <summary>Forgets the address (the inventory forgot the client); its MAC stays flagged.</summary>
    public void ForgetAddress(in ClientAddress address) => _addresses.TryRemove((address.Bits, address.IsIPv4), out _);

    public bool IsFlagged(in ClientIdentity client, INeighbourTable neighbours)
    {
        if (client.HasAddress && !_addresses.IsEmpty && _addresses.ContainsKey((client.Address.Bits, client.Address.IsIPv4)))
        {
            return true;
        }

        return !_macs.IsEmpty && client.TryGetMac(neighbours, out MacAddress mac) && _macs.ContainsKey(mac.Value);
    }
}
