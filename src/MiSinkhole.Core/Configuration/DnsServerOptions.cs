using System.Net;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Dns</c> section: where and for whom the daemon answers. Its readers are the daemon's
/// transports and the access stage, so it lives with the configuration rather than with either.
/// </summary>
public sealed record DnsServerOptions
{
    /// <summary>Addresses to answer on, UDP and TCP each (<c>Dns:Listen</c>).</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, 5300)];

    /// <summary>Clients that get answers; everyone else gets REFUSED (<c>Dns:AllowedClients</c>).</summary>
    public AddressSet AllowedClients { get; init; } = new([]);

    /// <summary>Receive threads per UDP socket; 0 = one per core, at most 4.</summary>
    public int UdpThreads { get; init; }

    /// <summary>Queries being answered at once (waiting on upstreams included); more are dropped.</summary>
    public int MaxInFlight { get; init; } = 4096;

    /// <summary>
    /// Largest answer sent over UDP, whatever payload size the client advertises (<c>Dns:MaxUdpSize</c>);
    /// larger answers go out truncated (TC=1). 1232 fits any path's MTU without fragments (DNS Flag Day 2020).
    /// </summary>
    public int MaxUdpSize { get; init; } = 1232;

    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int TcpMaxConnections { get; init; } = 256;

    /// <summary>Queries one TCP connection may have outstanding (pipelined) at once.</summary>
    public int TcpMaxPipelined { get; init; } = 32;

    /// <summary>TCP connections one client (an address, grouped as <c>RateLimit</c> groups them) may hold at once; exempt clients are not counted.</summary>
    public int TcpMaxConnectionsPerClient { get; init; } = 16;

    /// <summary>
    /// Bytes of answers one TCP connection may have waiting for a client that does not read
    /// (beyond the socket's own buffer, which is set to the same size); past that the connection is
    /// closed. One answer of any size always goes.
    /// </summary>
    public int TcpMaxWriteBuffer { get; init; } = 64 * 1024;

    /// <summary>DNS over TLS (<c>Dns:Tls</c>); off unless its <c>Listen</c> is set.</summary>
    public DnsTlsOptions Tls { get; init; } = new();

    /// <summary>DNS over HTTPS (<c>Dns:Https</c>); off unless its <c>Listen</c> is set.</summary>
    public DnsHttpsOptions Https { get; init; } = new();

    /// <summary>The section's keys; a change takes effect at the next start (sockets are bound once).</summary>
    public static SectionKeys<DnsServerOptions> Keys { get; } = new(restart: true)
    {
        { "Listen", ReadListen },
        { "AllowedClients", ReadAllowedClients },
        { "UdpThreads", (s, o) => o with { UdpThreads = s.Integer("UdpThreads", o.UdpThreads, 0, 64) } },
        { "MaxInFlight", (s, o) => o with { MaxInFlight = s.Integer("MaxInFlight", o.MaxInFlight, 16, 1_000_000) } },
        { "MaxUdpSize", (s, o) => o with { MaxUdpSize = s.Integer("MaxUdpSize", o.MaxUdpSize, 512, 65535) } },
        { "TcpIdleTimeout", (s, o) => o with { TcpIdleTimeout = s.Duration("TcpIdleTimeout", o.TcpIdleTimeout) } },
        { "TcpMaxConnections", (s, o) => o with { TcpMaxConnections = s.Integer("TcpMaxConnections", o.TcpMaxConnections, 1, 100_000) } },
        { "TcpMaxPipelined", (s, o) => o with { TcpMaxPipelined = s.Integer("TcpMaxPipelined", o.TcpMaxPipelined, 1, 1000) } },
        { "TcpMaxConnectionsPerClient", (s, o) => o with { TcpMaxConnectionsPerClient = s.Integer("TcpMaxConnectionsPerClient", o.TcpMaxConnectionsPerClient, 1, 100_000) } },
        { "TcpMaxWriteBuffer", (s, o) => o with { TcpMaxWriteBuffer = s.Integer("TcpMaxWriteBuffer", o.TcpMaxWriteBuffer, 4096, 16 << 20) } },
        { "Tls", ReadTls },
        { "Https", (s, o) => o with { Https = DnsHttpsOptions.Keys.Read(s.Section("Https"), new DnsHttpsOptions()) } },
    };

    private static DnsServerOptions ReadTls(ConfigSection section, DnsServerOptions options)
    {
        ConfigSection tls = section.Section("Tls");
        DnsTlsOptions read = DnsTlsOptions.Keys.Read(tls, new DnsTlsOptions());
        DnsTlsOptions.Check(tls, read);
        return options with { Tls = read };
    }

    private static DnsServerOptions ReadListen(ConfigSection section, DnsServerOptions options)
    {
        List<IPEndPoint> listen = section.EndPoints("Listen", 53, "0.0.0.0:53, [::]:53");
        return listen.Count > 0 ? options with { Listen = listen } : options;
    }

    private static DnsServerOptions ReadAllowedClients(ConfigSection section, DnsServerOptions options)
    {
        var allowed = new List<IpNetwork>();
        List<(string Key, string Value)> items = section.Items("AllowedClients");
        foreach ((string key, string value) in items.Count > 0 ? items : [("AllowedClients", "private")])
        {
            if (value.Equals("private", StringComparison.OrdinalIgnoreCase))
            {
                allowed.AddRange(AddressSet.PrivateRanges.Select(r => IpNetwork.TryParse(r, out IpNetwork n) ? n : default));
            }
            else if (value.Equals("any", StringComparison.OrdinalIgnoreCase))
            {
                allowed.Add(new IpNetwork(0, 0, true));
                allowed.Add(new IpNetwork(0, 0, false));
            }
            else if (IpNetwork.TryParse(value, out IpNetwork network))
            {
                allowed.Add(network);
            }
            else
            {
                section.Error(key, $"'{value}' is not an address, a CIDR range, 'private' or 'any'");
            }
        }

        return options with { AllowedClients = new AddressSet(allowed) };
    }
}
