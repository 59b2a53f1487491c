using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// One entry of the <c>Devices</c> section: how to recognise a device (exact addresses, MAC
/// addresses, CIDR ranges, DoT client IDs) and the policy its queries get.
/// </summary>
public sealed record DeviceOptions
{
    public required string Name { get; init; }

    /// <summary>The policy name; null means <c>DefaultPolicy</c>.</summary>
    public string? Policy { get; init; }

    /// <summary>Single addresses (a /32 or /128 range counts as one).</summary>
    public IReadOnlyList<ClientAddress> Addresses { get; init; } = [];

    public IReadOnlyList<MacAddress> Macs { get; init; } = [];

    /// <summary>Ranges shorter than a single address.</summary>
    public IReadOnlyList<IpNetwork> Networks { get; init; } = [];

    /// <summary>Client IDs of encrypted transports (<c>clientid:kids-tablet</c> in <c>Match</c>), lower case.</summary>
    public IReadOnlyList<string> ClientIds { get; init; } = [];
}
