namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The zones no query may leave the house for. Without an <c>Upstreams:Conditional</c> domain
/// covering them, the resolver answers them itself (<see cref="LocalZoneAnswer"/>); with one,
/// they go to that domain's servers only.
/// <list type="bullet">
/// <item>RFC 6303 (BCP 163, "Locally Served DNS Zones") §4: the reverse zones of RFC 1918
/// (10, 16–31.172, 168.192.in-addr.arpa; §4.1), of RFC 5735/5737 (0, 127, 254.169, 2.0.192,
/// 100.51.198, 113.0.203, 255.255.255.255.in-addr.arpa; §4.2), of the IPv6 unspecified and
/// loopback addresses (§4.3), of IPv6 ULAs (d.f.ip6.arpa; §4.4), of IPv6 link-local addresses
/// (8, 9, a, b.e.f.ip6.arpa; §4.5) and of the IPv6 documentation prefix (8.b.d.0.1.0.0.2.ip6.arpa;
/// §4.6). §3 gives their content: an SOA and NS at the apex, nothing else, so every name below is
/// NXDOMAIN with the SOA for negative caching.</item>
/// <item>RFC 7793 (also BCP 163): 64–127.100.in-addr.arpa, the shared address space 100.64.0.0/10
/// (CGNAT), whose reverse queries RFC 6598 says MUST NOT be forwarded to the global DNS.</item>
/// <item>RFC 6762 §3 and §22: <c>local</c> is link-local (mDNS); a unicast resolver has nothing to
/// ask about it.</item>
/// <item>RFC 8375: <c>home.arpa</c>, the home network's own zone, meaningless outside it.</item>
/// <item>RFC 6761 §6.4: <c>invalid</c> — caching servers SHOULD answer it NXDOMAIN at once, never
/// asking authoritative servers. §6.3: <c>localhost</c> — caching servers SHOULD answer address
/// queries with the loopback address and other queries negatively, also without asking. Both
/// are in. <c>test</c> and <c>example</c> are not: §6.2 and §6.5 say caching servers SHOULD NOT treat
/// them specially.</item>
/// <item>RFC 7686 §2: <c>onion</c> — caching servers MUST answer NXDOMAIN (a Tor name asked
/// through DNS leaks what the user visits).</item>
/// <item>RFC 9462 §6.4: <c>resolver.arpa</c> — the resolver answers it itself; while the encrypted
/// listeners are on, <c>_dns.resolver.arpa SVCB</c> designates them (<see cref="DesignatedResolver"/>).</item>
/// </list>
/// </summary>
public static class LocalZones
{
    /// <summary>Every locally served zone, in the order above.</summary>
    public static IReadOnlyList<LocalZone> All { get; } = Build();

    private static LocalZone[] Build()
    {
        var zones = new List<LocalZone> { new("10.in-addr.arpa", lan: true) };
        for (int second = 16; second <= 31; second++)
        {
            zones.Add(new($"{second}.172.in-addr.arpa", lan: true));
        }

        zones.Add(new("168.192.in-addr.arpa", lan: true));
        zones.Add(new("254.169.in-addr.arpa", lan: true));
        foreach (string name in (string[])["0.in-addr.arpa", "127.in-addr.arpa", "2.0.192.in-addr.arpa",
            "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa", "255.255.255.255.in-addr.arpa"])
        {
            zones.Add(new(name));
        }

        string zeros = string.Concat(Enumerable.Repeat("0.", 31));
        zones.Add(new($"0.{zeros}ip6.arpa")); // ::
        zones.Add(new($"1.{zeros}ip6.arpa")); // ::1
        foreach (string name in (string[])["d.f.ip6.arpa", "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa", "b.e.f.ip6.arpa"])
        {
            zones.Add(new(name, lan: true));
        }

        zones.Add(new("8.b.d.0.1.0.0.2.ip6.arpa"));
        for (int second = 64; second <= 127; second++)
        {
            zones.Add(new($"{second}.100.in-addr.arpa", lan: true));
        }

        zones.Add(new("local"));
        zones.Add(new("home.arpa", lan: true));
        zones.Add(new("invalid"));
        zones.Add(new("localhost", loopback: true));
        zones.Add(new("onion"));
        zones.Add(new("resolver.arpa"));
        return [.. zones];
    }
}
