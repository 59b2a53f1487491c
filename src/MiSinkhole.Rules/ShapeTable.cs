using System.Numerics;
using System.Runtime.CompilerServices;

namespace MiSinkhole.Rules;

/// <summary>
/// The shape rules of a set (<c>|label.*.zone^</c>: a host whose leftmost label is <c>label</c>,
/// anywhere under <c>zone</c>), as two small open-addressing tables: the zones, and the
/// (zone, label) pairs with their rule combination. Matching probes the zone table for each
/// suffix of the query name that leaves at least two labels on its left, and the pair table only
/// under a zone found there: a few probes of a table that fits in a cache line or two, whatever
/// the number of rules, and no regular expression.
/// </summary>
internal sealed class ShapeTable
{
    private const ulong PairSalt = 0xD6E8FEB86659FD93;

    private readonly ulong[] _zones;
    private readonly ulong _zoneBits;
    private readonly ulong[] _pairs;
    private readonly ushort[] _combos;

    private ShapeTable(ulong[] zones, ulong[] pairs, ushort[] combos, int count)
    {
        _zones = zones;
        foreach (ulong zone in zones)
        {
            _zoneBits |= zone == 0 ? 0 : ZoneBit(zone);
        }

        _pairs = pairs;
        _combos = combos;
        Count = count;
    }

    /// <summary>The number of shape rules (distinct zone and label pairs).</summary>
    public int Count { get; }

    /// <summary>The table for <paramref name="pairs"/>: (zone key, label key) → combination id; null when empty.</summary>
    public static ShapeTable? Build(IReadOnlyDictionary<(ulong Zone, ulong Label), ushort> pairs)
    {
        if (pairs.Count == 0)
        {
            return null;
        }

        var zones = new ulong[Size(pairs.Count)];
        var keys = new ulong[Size(pairs.Count)];
        var combos = new ushort[keys.Length];
        foreach (((ulong zone, ulong label), ushort combo) in pairs)
        {
            zones[Find(zones, zone)] = zone;
            int slot = Find(keys, PairKey(zone, label));
            keys[slot] = PairKey(zone, label);
            combos[slot] = combo;
        }

        return new ShapeTable(zones, keys, combos, pairs.Count);
    }

    /// <summary>The key of a label for <see cref="Build"/>.</summary>
    public static ulong LabelKey(ReadOnlySpan<byte> lowerLabel) => DomainHash.Extend(PairSalt, lowerLabel);

    /// <summary>Whether <paramref name="zone"/> (a suffix's <see cref="DomainHash"/>) has shape rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasZone(ulong zone) => (_zoneBits & ZoneBit(zone)) != 0 && _zones[Find(_zones, zone)] == zone;

    /// <summary>One of 64 bits per zone: most suffixes that are no shape's zone stop at this test.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ZoneBit(ulong zone) => 1UL << (int)(zone >> 58);

    /// <summary>The combination id of the rules for <paramref name="label"/> (a <see cref="LabelKey"/>) under <paramref name="zone"/>; 0: none.</summary>
    public ushort Lookup(ulong zone, ulong label)
    {
        ulong key = PairKey(zone, label);
        int slot = Find(_pairs, key);
        return _pairs[slot] == key ? _combos[slot] : (ushort)0;
    }

    private static ulong PairKey(ulong zone, ulong label)
    {
        ulong key = (zone * 0x9E3779B97F4A7C15) ^ BitOperations.RotateLeft(label, 29);
        return key == 0 ? 1 : key;
    }

    private static int Size(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, count * 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Find(ulong[] table, ulong key)
    {
        int mask = table.Length - 1;
        int slot = (int)(key ^ (key >> 32)) & mask;
        while (table[slot] != key && table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }
}
