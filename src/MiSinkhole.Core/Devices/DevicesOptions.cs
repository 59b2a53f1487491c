using System.Net;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// The <c>Devices</c> section: the configured devices (every key that is not a setting), plus the
/// settings about devices in general (<c>AutoPolicy</c>, <c>LeaseFiles</c>, <c>NameServer</c>,
/// <c>TrustedForwarders</c>).
/// Each device is matched by addresses, CIDR ranges and MAC addresses; the most specific match
/// wins (exact address &gt; MAC &gt; narrowest range), so two devices claiming the same address,
/// MAC or range would be a tie: an error naming both.
/// </summary>
public sealed record DevicesOptions
{
    public IReadOnlyList<DeviceOptions> Devices { get; init; } = [];

    /// <summary>The policy a client that is not a configured device gets once it is seen querying Xiaomi names; null: off.</summary>
    public string? AutoPolicy { get; init; }

    /// <summary>DHCP lease files (dnsmasq or ISC dhcpd) that name unconfigured clients.</summary>
    public IReadOnlyList<string> LeaseFiles { get; init; } = [];

    /// <summary>Where PTR queries for unconfigured clients' names go (usually the router); null: none.</summary>
    public IPEndPoint? NameServer { get; init; }

    /// <summary>
    /// Forwarding routers (addresses and ranges) whose queries may name the client behind them:
    /// EDNS Client Subnet with a whole address, and dnsmasq's MAC options. From anyone else those
    /// options are ignored (and counted). Empty by default.
    /// </summary>
    public AddressSet TrustedForwarders { get; init; } = new([]);

    /// <summary>
    /// The section's keys, checked against the configured policies: the settings, and every other
    /// key a device. Devices and the auto policy apply on reload; the name sources at start.
    /// </summary>
    public static SectionKeys<DevicesOptions> Keys(IReadOnlyList<PolicyOptions> policies, string defaultPolicy)
    {
        var claims = new Claims();
        return new SectionKeys<DevicesOptions>
        {
            { "AutoPolicy", (s, o) => o with { AutoPolicy = PolicyName(s, "AutoPolicy", policies, defaultPolicy) } },
            { "LeaseFiles", ReadLeaseFiles, true },
            { "NameServer", (s, o) => o with { NameServer = s.EndPoint("NameServer", 53, null, "192.168.1.1") }, true },
            { "TrustedForwarders", ReadTrustedForwarders },
        }.WithEntries((device, o) => o with { Devices = [.. o.Devices, ReadDevice(device, policies, defaultPolicy, claims)] });
    }

    private static DevicesOptions ReadLeaseFiles(ConfigSection section, DevicesOptions options)
    {
        var leaseFiles = new List<string>();
        foreach ((string key, string value) in section.Items("LeaseFiles"))
        {
            // A lease file may appear later (the DHCP server starts after us): only the path is checked.
            string path = section.FullPath(value);
            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                section.Warning(key, $"folder not found: {Path.GetDirectoryName(path)} (names from this file appear once it exists)");
            }

            leaseFiles.Add(path);
        }

        return options with { LeaseFiles = leaseFiles };
    }

    private static DevicesOptions ReadTrustedForwarders(ConfigSection section, DevicesOptions options) =>
        options with { TrustedForwarders = section.Networks("TrustedForwarders", "the router that forwards to us, e.g. 192.168.1.1") };

    private static DeviceOptions ReadDevice(ConfigSection device, IReadOnlyList<PolicyOptions> policies, string defaultPolicy, Claims claims)
    {
        if (device.Value is not null)
        {
            device.Error("", "a device is an object with Match and Policy (settings here: AutoPolicy, LeaseFiles, NameServer, TrustedForwarders)");
        }

        if (device.Key.Equals("unknown", StringComparison.OrdinalIgnoreCase) || device.Key == "*")
        {
            device.Error("", $"'{device.Key}' cannot be a device name: it stands for clients that are no device (or for all)");
        }

        return DeviceKeys(policies, defaultPolicy, claims).Read(device, new DeviceOptions { Name = device.Key });
    }

    private static SectionKeys<DeviceOptions> DeviceKeys(IReadOnlyList<PolicyOptions> policies, string defaultPolicy, Claims claims) => new()
    {
        { "Match", (s, o) => ReadMatch(s, o, claims) },
        { "Policy", (s, o) => o with { Policy = PolicyName(s, "Policy", policies, defaultPolicy) } },
    };

    private static DeviceOptions ReadMatch(ConfigSection device, DeviceOptions options, Claims claims)
    {
        if (device.Value is not null)
        {
            return options; // not an object: reported once, above
        }

        var addresses = new List<ClientAddress>();
        var macs = new List<MacAddress>();
        var networks = new List<IpNetwork>();
        var clientIds = new List<string>();
        List<(string Key, string Value)> items = device.Items("Match");
        if (items.Count == 0)
        {
            device.Error("Match", "a device needs at least one address, CIDR range or MAC address");
        }

        foreach ((string key, string value) in items)
        {
            if (value.StartsWith(ClientIdPrefix, StringComparison.OrdinalIgnoreCase))
            {
                string id = value[ClientIdPrefix.Length..].ToLowerInvariant();
                if (IsClientId(id))
                {
                    Claims.Claim(claims.ClientIds, id, device, key, value, clientIds);
                }
                else
                {
                    device.Error(key, $"'{value}' is not a client ID (one DNS label: letters, digits and '-', as in clientid:kids-tablet)");
                }
            }
            else if (MacAddress.TryParse(value, out MacAddress mac))
            {
                Claims.Claim(claims.Macs, mac, device, key, value, macs);
            }
            else if (IpNetwork.TryParse(value, out IpNetwork network))
            {
                if (network.PrefixLength == (network.IsIPv4 ? 32 : 128))
                {
                    Claims.Claim(claims.Addresses, new ClientAddress(network.Prefix, network.IsIPv4, 0), device, key, value, addresses);
                }
                else
                {
                    Claims.Claim(claims.Networks, network, device, key, value, networks);
                }
            }
            else
            {
                device.Error(key, $"'{value}' is not an IP address, a CIDR range (192.168.1.0/24), a MAC address (aa:bb:cc:dd:ee:ff) or a client ID (clientid:kids-tablet)");
            }
        }

        return options with { Addresses = addresses, Macs = macs, Networks = networks, ClientIds = clientIds };
    }

    /// <summary>How a device's <c>Match</c> names a client ID of an encrypted transport.</summary>
    public const string ClientIdPrefix = "clientid:";

    /// <summary>Whether <paramref name="id"/> (lower case) can be a client ID: one DNS label, as the SNI's first label carries it.</summary>
    public static bool IsClientId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > 63 || id[0] == '-' || id[^1] == '-')
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? PolicyName(ConfigSection section, string key, IReadOnlyList<PolicyOptions> policies, string defaultPolicy)
    {
        string? name = section[key];
        bool known = policies.Count == 0 ? name?.Equals(defaultPolicy, StringComparison.OrdinalIgnoreCase) == true
            : policies.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (name is not null && !known)
        {
            section.Error(key, $"unknown policy '{name}' (have: {string.Join(", ", policies.Select(p => p.Name))})");
        }

        return name;
    }

    /// <summary>Who has claimed which address, MAC and range so far, to report ties.</summary>
    private sealed class Claims
    {
        public Dictionary<ClientAddress, string> Addresses { get; } = [];

        public Dictionary<MacAddress, string> Macs { get; } = [];

        public Dictionary<IpNetwork, string> Networks { get; } = [];

        public Dictionary<string, string> ClientIds { get; } = [];

        /// <summary>Records that <paramref name="device"/> matches <paramref name="item"/>, or reports the tie.</summary>
        public static void Claim<T>(Dictionary<T, string> owners, T item, ConfigSection device, string key, string text, List<T> into)
            where T : notnull
        {
            if (owners.TryGetValue(item, out string? owner))
            {
                if (owner != device.Key)
                {
                    device.Error(key, $"'{text}' also matches device '{owner}': a tie between '{owner}' and '{device.Key}' (give it to one of them)");
                }

                return;
            }

            owners[item] = device.Key;
            into.Add(item);
        }
    }
}
