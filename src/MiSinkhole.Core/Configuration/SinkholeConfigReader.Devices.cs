using System.Net;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Devices</c> section. Each device is matched by addresses, CIDR ranges and MAC
/// addresses; the most specific match wins (exact address &gt; MAC &gt; narrowest range), so
/// two devices claiming the same address, MAC or range would be a tie: an error naming both.
/// </summary>
public sealed partial class SinkholeConfigReader
{
    private DevicesOptions ReadDevices(IConfigurationSection section, IReadOnlyList<PolicyOptions> policies, string defaultPolicy)
    {
        var devices = new List<DeviceOptions>();
        var addressOwners = new Dictionary<ClientAddress, string>();
        var macOwners = new Dictionary<MacAddress, string>();
        var networkOwners = new Dictionary<IpNetwork, string>();
        foreach (IConfigurationSection device in section.GetChildren())
        {
            if (DevicesOptions.ReservedKeys.Contains(device.Key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (device.Value is not null)
            {
                Error(device.Path, $"a device is an object with Match and Policy (settings here: {string.Join(", ", DevicesOptions.ReservedKeys)})");
                continue;
            }

            if (device.Key.Equals("unknown", StringComparison.OrdinalIgnoreCase) || device.Key == "*")
            {
                Error(device.Path, $"'{device.Key}' cannot be a device name: it stands for clients that are no device (or for all)");
            }

            CheckKeys(device, "Match", "Policy");
            string? policy = device["Policy"];
            if (policy is not null && !KnownPolicy(policy, policies, defaultPolicy))
            {
                Error(device.Path + ":Policy", $"unknown policy '{policy}' (have: {string.Join(", ", policies.Select(p => p.Name))})");
            }

            var addresses = new List<ClientAddress>();
            var macs = new List<MacAddress>();
            var networks = new List<IpNetwork>();
            List<(string Key, string Value)> items = Items(device.GetSection("Match"));
            if (items.Count == 0)
            {
                Error(device.Path + ":Match", "a device needs at least one address, CIDR range or MAC address");
            }

            foreach ((string key, string value) in items)
            {
                if (MacAddress.TryParse(value, out MacAddress mac))
                {
                    Claim(macOwners, mac, device.Key, key, value, macs);
                }
                else if (IpNetwork.TryParse(value, out IpNetwork network))
                {
                    if (network.PrefixLength == (network.IsIPv4 ? 32 : 128))
                    {
                        Claim(addressOwners, new ClientAddress(network.Prefix, network.IsIPv4, 0), device.Key, key, value, addresses);
                    }
                    else
                    {
                        Claim(networkOwners, network, device.Key, key, value, networks);
                    }
                }
                else
                {
                    Error(key, $"'{value}' is not an IP address, a CIDR range (192.168.1.0/24) or a MAC address (aa:bb:cc:dd:ee:ff)");
                }
            }

            devices.Add(new DeviceOptions { Name = device.Key, Policy = policy, Addresses = addresses, Macs = macs, Networks = networks });
        }

        string? autoPolicy = section["AutoPolicy"];
        if (autoPolicy is not null && !KnownPolicy(autoPolicy, policies, defaultPolicy))
        {
            Error(section.Path + ":AutoPolicy", $"unknown policy '{autoPolicy}' (have: {string.Join(", ", policies.Select(p => p.Name))})");
        }

        var leaseFiles = new List<string>();
        foreach ((string key, string value) in Items(section.GetSection("LeaseFiles")))
        {
            // A lease file may appear later (the DHCP server starts after us): only the path is checked.
            string path = Path.GetFullPath(Path.Combine(_baseDirectory, value));
            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                _errors.Add(new ConfigError(key, $"folder not found: {Path.GetDirectoryName(path)} (names from this file appear once it exists)") { IsWarning = true });
            }

            leaseFiles.Add(path);
        }

        IPEndPoint? nameServer = null;
        if (section["NameServer"] is string server && !ConfigValue.TryParseEndPoint(server, 53, out nameServer))
        {
            Error(section.Path + ":NameServer", $"'{server}' is not an address with optional port (e.g. 192.168.1.1)");
        }

        return new DevicesOptions { Devices = devices, AutoPolicy = autoPolicy, LeaseFiles = leaseFiles, NameServer = nameServer };
    }

    private static bool KnownPolicy(string name, IReadOnlyList<PolicyOptions> policies, string defaultPolicy) =>
        policies.Count == 0 ? name.Equals(defaultPolicy, StringComparison.OrdinalIgnoreCase) : policies.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Records that <paramref name="device"/> matches <paramref name="item"/>, or reports the tie.</summary>
    private void Claim<T>(Dictionary<T, string> owners, T item, string device, string key, string text, List<T> into)
        where T : notnull
    {
        if (owners.TryGetValue(item, out string? owner))
        {
            if (owner != device)
            {
                Error(key, $"'{text}' also matches device '{owner}': a tie between '{owner}' and '{device}' (give it to one of them)");
            }

            return;
        }

        owners[item] = device;
        into.Add(item);
    }
}
