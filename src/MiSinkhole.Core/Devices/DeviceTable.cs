using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Who asked: maps a client address to a configured device. The most specific match wins: an
/// exact address, then a MAC address (through the host's neighbour table, so IPv6 privacy
/// addresses keep their device), then the narrowest CIDR range; a client that gave a client ID
/// (DoT) is the device with that ID, or no device. Immutable, part of a
/// <see cref="ConfigSnapshot"/>; a lookup allocates nothing.
/// </summary>
public sealed class DeviceTable
{
    private readonly Dictionary<ClientAddress, ConfiguredDevice> _byAddress = [];
    private readonly Dictionary<MacAddress, ConfiguredDevice> _byMac = [];
    private readonly (IpNetwork Network, ConfiguredDevice Device)[] _byNetwork;
    private readonly Dictionary<string, ConfiguredDevice> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ConfiguredDevice> _byClientId = new(StringComparer.Ordinal);

    public DeviceTable(IEnumerable<DeviceOptions> devices, Func<string?, CompiledPolicy> policyFor)
    {
        var networks = new List<(IpNetwork, ConfiguredDevice)>();
        foreach (DeviceOptions options in devices)
        {
            var device = new ConfiguredDevice(options.Name, policyFor(options.Policy), options);
            _byName[device.Name] = device;
            foreach (ClientAddress address in options.Addresses)
            {
                _byAddress.TryAdd(address with { Port = 0 }, device);
            }

            foreach (MacAddress mac in options.Macs)
            {
                _byMac.TryAdd(mac, device);
            }

            foreach (string id in options.ClientIds)
            {
                _byClientId.TryAdd(id, device);
            }

            networks.AddRange(options.Networks.Select(n => (n, device)));
        }

        // Narrowest first, so the first range that contains the client is the most specific.
        _byNetwork = [.. networks.OrderByDescending(n => n.Item1.PrefixLength)];
        Devices = [.. _byName.Values];
    }

    public static DeviceTable Empty { get; } = new([], _ => throw new InvalidOperationException());

    public IReadOnlyList<ConfiguredDevice> Devices { get; }

    /// <summary>A configured device by name (case-insensitive).</summary>
    public ConfiguredDevice? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The device <paramref name="client"/> is, or null when it is none of them.</summary>
    public ConfiguredDevice? Resolve(in ClientIdentity client, INeighbourTable neighbours)
    {
        if (_byName.Count == 0)
        {
            return null;
        }

        if (client.ClientId is { } id)
        {
            // A client that names itself is that device or none: not whatever its address (a
            // router's, for a phone on mobile data through a port forward) would match.
            return _byClientId.GetValueOrDefault(id);
        }

        if (client.HasAddress && _byAddress.TryGetValue(client.Address, out ConfiguredDevice? device))
        {
            return device;
        }

        if (_byMac.Count > 0 && client.TryGetMac(neighbours, out MacAddress mac) && _byMac.TryGetValue(mac, out device))
        {
            return device;
        }

        if (client.HasAddress)
        {
            foreach ((IpNetwork network, ConfiguredDevice candidate) in _byNetwork)
            {
                if (network.Contains(client.Address))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
