using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Where a name goes: to the servers of the longest <c>Upstreams:Conditional</c> domain it is in
/// (the domain itself included); else, when it is in one of the <see cref="LocalZones"/>, nowhere
/// (answered locally); else to <c>Upstreams:Servers</c>. A conditional domain wins over a private
/// zone it covers or lies in, so <c>"1.168.192.in-addr.arpa": ["192.168.1.1"]</c> sends that
/// reverse zone to the router while the rest of 168.192.in-addr.arpa stays local. The table is
/// keyed by wire names widened to chars, looked up per label suffix of the query name without
/// allocating (a name of n labels costs n lookups).
/// </summary>
public sealed class UpstreamRoutes
{
    private readonly Dictionary<string, object>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private readonly UpstreamGroup? _lan;

    /// <param name="defaults">The group of <c>Upstreams:Servers</c>.</param>
    /// <param name="conditional">One group per conditional domain, named by it (lowercase, no trailing dot).</param>
    /// <param name="lan">The default servers on LAN addresses (a router), which the <see cref="LocalZone.Lan"/> zones go to; null for none.</param>
    public UpstreamRoutes(UpstreamGroup defaults, IEnumerable<UpstreamGroup> conditional, UpstreamGroup? lan = null)
    {
        Default = defaults;
        _lan = lan;
        var table = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (LocalZone zone in LocalZones.All)
        {
            table[Key(zone.WireName)] = zone;
        }

        Span<byte> wire = stackalloc byte[DnsConstants.MaxNameLength];
        foreach (UpstreamGroup group in conditional)
        {
            // A conditional domain replaces a private zone of the same name. One that is no DNS
            // name (a space, a non-ASCII letter) could match no query; it is left out, not fatal.
            if (DnsName.TryFromText(group.Name, wire, out int length))
            {
                table[Key(wire[..length].ToArray())] = group;
            }
        }

        _lookup = table.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public UpstreamGroup Default { get; }

    /// <summary>
    /// The group for <paramref name="lowerName"/> (wire form, lowercase), or null with the
    /// <paramref name="zone"/> that answers it locally.
    /// </summary>
    public UpstreamGroup? Find(ReadOnlySpan<byte> lowerName, out LocalZone? zone)
    {
        zone = null;
        if (lowerName.Length is < 2 or > DnsConstants.MaxNameLength)
        {
            return Default; // the root, or not a name we could route
        }

        Span<char> wide = stackalloc char[lowerName.Length];
        for (int i = 0; i < lowerName.Length; i++)
        {
            wide[i] = (char)lowerName[i];
        }

        // Longest suffix first: the first conditional domain met is the longest; a private zone
        // is remembered but applies only if no conditional domain covers the name.
        for (int position = 0; position < lowerName.Length - 1; position += lowerName[position] + 1)
        {
            if (_lookup.TryGetValue(wide[position..], out object? route))
            {
                if (route is UpstreamGroup group)
                {
                    zone = null;
                    return group;
                }

                zone ??= (LocalZone)route;
            }
        }

        if (zone is { Lan: true } && _lan is not null)
        {
            zone = null;
            return _lan; // the router knows its leases, and asking it leaks nothing
        }

        return zone is null ? Default : null;
    }

    private static string Key(byte[] wireName) => string.Create(wireName.Length, wireName, static (chars, wire) =>
    {
        for (int i = 0; i < wire.Length; i++)
        {
            chars[i] = (char)wire[i];
        }
    });
}
