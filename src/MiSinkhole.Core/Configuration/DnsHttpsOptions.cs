using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Dns:Https</c> section: DNS over HTTPS (RFC 8484) at <c>/dns-query</c>, GET and POST,
/// HTTP/2 and HTTP/1.1, on its own port so the API's port and token stay apart. Off unless
/// <c>Listen</c> is set. It presents the certificate of <c>Dns:Tls</c> (its files, or the daemon's
/// self-signed one) with that section's handshake timeout. The path <c>/dns-query/{clientId}</c>
/// names the client: a device matches it with <c>clientid:{clientId}</c>.
/// </summary>
public sealed record DnsHttpsOptions
{
    /// <summary>Addresses to answer DoH on (<c>0.0.0.0:443</c>); none: DoH is off.</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [];

    /// <summary>Connections open at once over every DoH address; past that a new one waits in the kernel's backlog.</summary>
    public int MaxConnections { get; init; } = 256;

    public bool Enabled => Listen.Count > 0;

    public static SectionKeys<DnsHttpsOptions> Keys { get; } = new(restart: true)
    {
        { "Listen", (s, o) => o with { Listen = s.EndPoints("Listen", 443, "0.0.0.0:443") } },
        { "MaxConnections", (s, o) => o with { MaxConnections = s.Integer("MaxConnections", o.MaxConnections, 1, 100_000) } },
    };
}
