using System.Diagnostics;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// A zone the resolver answers itself instead of asking a public upstream (see
/// <see cref="LocalZones"/>): its name in wire form and text, whether it is <c>localhost</c>
/// (RFC 6761 §6.3: addresses of the loopback) or empty (everything below the apex NXDOMAIN), and
/// the metric tag its answers are counted under.
/// </summary>
public sealed class LocalZone
{
    public LocalZone(string name, bool loopback = false, bool lan = false)
    {
        Name = name;
        WireName = DnsName.FromText(name);
        Loopback = loopback;
        Lan = lan;
        Tag = new KeyValuePair<string, object?>("zone", name);
    }

    /// <summary>The zone as text, lowercase, no trailing dot: <c>168.192.in-addr.arpa</c>.</summary>
    public string Name { get; }

    /// <summary>The zone in wire form, lowercase.</summary>
    public byte[] WireName { get; }

    /// <summary><c>localhost</c>: every name in it has A 127.0.0.1 and AAAA ::1.</summary>
    public bool Loopback { get; }

    /// <summary>
    /// A zone a resolver on the LAN can know (reverse zones of RFC 1918, CGNAT, link-local and
    /// ULA addresses; <c>home.arpa</c>): the router that hands out the leases answers them. Such
    /// zones go to the default servers that are on LAN addresses, when there are any.
    /// </summary>
    public bool Lan { get; }

    /// <summary>The <c>zone</c> label of <c>misinkhole.upstream.local_answers</c>, made once.</summary>
    internal KeyValuePair<string, object?> Tag { get; }

    internal TagList Tags => new() { Tag };

    public override string ToString() => Name;
}
