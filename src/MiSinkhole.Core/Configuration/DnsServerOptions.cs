using System.Net;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Dns</c> section: where and for whom the daemon answers.</summary>
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

    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int TcpMaxConnections { get; init; } = 256;

    /// <summary>Queries one TCP connection may have outstanding (pipelined) at once.</summary>
    public int TcpMaxPipelined { get; init; } = 32;
}
