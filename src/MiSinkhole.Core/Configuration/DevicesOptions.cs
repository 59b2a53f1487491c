using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Devices</c> section: the configured devices, plus the settings about devices in
/// general under reserved keys (<c>AutoPolicy</c>, <c>LeaseFiles</c>, <c>NameServer</c>).
/// </summary>
public sealed record DevicesOptions
{
    /// <summary>Keys of the <c>Devices</c> section that are settings, not device names.</summary>
    public static readonly string[] ReservedKeys = ["AutoPolicy", "LeaseFiles", "NameServer"];

    public IReadOnlyList<DeviceOptions> Devices { get; init; } = [];

    /// <summary>The policy a client that is not a configured device gets once it is seen querying Xiaomi names; null: off.</summary>
    public string? AutoPolicy { get; init; }

    /// <summary>DHCP lease files (dnsmasq or ISC dhcpd) that name unconfigured clients.</summary>
    public IReadOnlyList<string> LeaseFiles { get; init; } = [];

    /// <summary>Where PTR queries for unconfigured clients' names go (usually the router); null: none.</summary>
    public IPEndPoint? NameServer { get; init; }
}
