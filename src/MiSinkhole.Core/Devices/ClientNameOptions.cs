using System.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Where <see cref="ClientNameResolver"/> finds client names: DHCP lease files (dnsmasq or ISC
/// dhcpd, told apart by content) and, for addresses no lease names, optionally a PTR query to a
/// name server that knows the local network (usually the router).
/// </summary>
public sealed record ClientNameOptions
{
    /// <summary>Lease files to read; each is read again when its modification time or size changes.</summary>
    public IReadOnlyList<string> LeaseFiles { get; init; } = [];

    /// <summary>The name server asked for PTR records over UDP; null: no PTR lookups.</summary>
    public IPEndPoint? NameServer { get; init; }

    /// <summary>How long a name from a PTR answer is kept before it is looked up again.</summary>
    public TimeSpan NameTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long "no name" (NXDOMAIN, no PTR record, error, no answer) is kept.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for a PTR answer.</summary>
    public TimeSpan LookupTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the lease files' modification times are checked.</summary>
    public TimeSpan LeaseCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Lookups that may wait; when the queue is full, further unknown addresses are not looked up (until asked again).</summary>
    public int LookupQueueCapacity { get; init; } = 256;

    /// <summary>
    /// Clients are anonymised (<c>QueryLog:AnonymizeClients</c>): no names at all, since a host
    /// name says who a client is as well as its address does (and a log line naming it beside its
    /// address would undo the token).
    /// </summary>
    public bool Off { get; init; }

    /// <summary>Most PTR results kept; beyond it new addresses are not looked up until expired results are pruned.</summary>
    public int MaxCachedNames { get; init; } = 4096;
}
