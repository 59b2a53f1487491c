using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Clients;

/// <summary>
/// Who is asking, as far as the daemon can tell: the address a query came from, and a MAC address
/// when one is known without the neighbour table (<c>explain --device aa:bb:…</c>, or the client a
/// trusted forwarding router names, <see cref="Forwarded"/>), and the client ID a DoT client
/// gave (<see cref="ClientId"/>), so every caller of <see cref="ClientPolicyResolver"/> hands over the same thing.
/// </summary>
public readonly record struct ClientIdentity
{
    private ClientIdentity(ClientAddress address, bool hasAddress, MacAddress mac)
    {
        Address = address;
        HasAddress = hasAddress;
        Mac = mac;
    }

    /// <summary>No identity at all: a client that is no device (explain without a device).</summary>
    public static ClientIdentity None => default;

    public ClientAddress Address { get; }

    /// <summary>False when only a MAC (or nothing) is known.</summary>
    public bool HasAddress { get; }

    /// <summary>A MAC address known beforehand; default: ask the neighbour table for the address's.</summary>
    public MacAddress Mac { get; }

    /// <summary>
    /// The client ID an encrypted transport carried (the SNI's first label under
    /// <c>Dns:Tls:ServerName</c>), lower case; null when none. With one, it alone names the device.
    /// </summary>
    public string? ClientId { get; init; }

    public static ClientIdentity FromAddress(in ClientAddress address) => new(address with { Port = 0 }, true, default);

    public static ClientIdentity FromMac(MacAddress mac) => new(default, false, mac);

    /// <summary>
    /// The client a trusted forwarder named: its address when the forwarder gave a whole one
    /// (ECS), and its MAC when it gave that (none: the neighbour table's, which for a client behind
    /// a router has nothing). Never the forwarder's own address.
    /// </summary>
    public static ClientIdentity Forwarded(ClientAddress? address, MacAddress mac) =>
        address is { } a ? new(a with { Port = 0 }, true, mac) : new(default, false, mac);

    /// <summary>The client's MAC: the one given, else the neighbour table's for its address.</summary>
    public bool TryGetMac(INeighbourTable neighbours, out MacAddress mac)
    {
        mac = Mac;
        return mac.Value != 0 || (HasAddress && neighbours.TryGetMac(Address, out mac));
    }

    public override string ToString() => ClientId is not null ? $"clientid:{ClientId}" : HasAddress ? Address.ToString() : Mac.Value != 0 ? Mac.ToString() : "(no client)";
}
