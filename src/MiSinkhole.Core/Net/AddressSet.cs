namespace MiSinkhole.Core.Net;

/// <summary>A small set of address ranges (access lists), matched by a linear scan.</summary>
public sealed class AddressSet
{
    /// <summary>The addresses of a home or office network, loopback aside: where a router is.</summary>
    public static readonly IReadOnlyList<string> LanRanges =
    [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",              // RFC 1918
        "100.64.0.0/10",                                              // CGNAT (RFC 6598)
        "169.254.0.0/16", "fe80::/10",                                // link-local
        "fc00::/7",                                                   // ULA (RFC 4193)
    ];

    /// <summary>What "private" stands for in <c>Dns:AllowedClients</c>: never an open resolver. Loopback and <see cref="LanRanges"/>.</summary>
    public static readonly IReadOnlyList<string> PrivateRanges = ["127.0.0.0/8", "::1/128", .. LanRanges];

    private readonly IpNetwork[] _networks;

    public AddressSet(IEnumerable<IpNetwork> networks) => _networks = [.. networks];

    public IReadOnlyList<IpNetwork> Networks => _networks;

    public bool Contains(in ClientAddress address)
    {
        foreach (IpNetwork network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
