using System.Numerics;
using System.Runtime.CompilerServices;

namespace MiSinkhole.Rules;

/// <summary>
/// An immutable, compiled set of domain rules: each rule name is stored only as its 64-bit
/// <see cref="DomainHash"/> in an open-addressing table, with the set of lists that contain it.
/// Matching walks the query name's labels once from the right and probes every suffix, so the
/// cost depends on the number of labels, not on the number of rules, and nothing is allocated.
/// A one-bit-per-slot prefilter answers most misses without touching the big key table.
/// </summary>
public sealed class CompiledRuleSet
{
    private readonly ulong[] _keys;
    private readonly ushort[] _values;
    private readonly ulong[] _listMasks;
    private readonly ulong[] _filter;
    private readonly int _filterShift;
    private readonly int _mask;

    internal CompiledRuleSet(ulong[] keys, ushort[] values, ulong[] listMasks, ulong[] filter, string[] listNames, int count)
    {
        _keys = keys;
        _values = values;
        _listMasks = listMasks;
        _filter = filter;
        _filterShift = 64 - BitOperations.Log2((ulong)filter.Length * 64);
        _mask = keys.Length - 1;
        ListNames = listNames;
        Count = count;
    }

    /// <summary>An empty set that matches nothing.</summary>
    public static CompiledRuleSet Empty { get; } = new RuleSetBuilder([]).Build();

    /// <summary>Names of the lists, by index (bit position in <see cref="RuleMatch.Lists"/>).</summary>
    public IReadOnlyList<string> ListNames { get; }

    /// <summary>Distinct rule names in the set.</summary>
    public int Count { get; }

    /// <summary>Matches a lowercased, uncompressed wire-format name (as the query parser produces).</summary>
    public RuleMatch Match(ReadOnlySpan<byte> lowerWireName)
    {
        if (Count == 0)
        {
            return default;
        }

        // Label start offsets, left to right; a name has at most 127 labels.
        Span<byte> starts = stackalloc byte[128];
        int labels = 0;
        int position = 0;
        while (position < lowerWireName.Length && lowerWireName[position] != 0)
        {
            starts[labels++] = (byte)position;
            position += 1 + lowerWireName[position];
        }

        ulong found = 0;
        ulong h = DomainHash.RootSeed;
        for (int i = labels - 1; i >= 0; i--)
        {
            int start = starts[i];
            h = DomainHash.Extend(h, lowerWireName.Slice(start + 1, lowerWireName[start]));
            found |= Lookup(h);
        }

        return new RuleMatch(found);
    }

    /// <summary>Matches a dotted name (trailing dot and case ignored).</summary>
    public RuleMatch Match(string name)
    {
        Span<byte> wire = stackalloc byte[256];
        return MiSinkhole.Dns.DnsName.TryFromText(name, wire, out int length) ? Match(wire[..length]) : default;
    }

    /// <summary>The lists holding exactly this key (not its parents), or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Lookup(ulong key)
    {
        ulong bit = key >> _filterShift;
        if ((_filter[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
        {
            return 0;
        }

        int slot = (int)key & _mask;
        while (true)
        {
            ulong k = _keys[slot];
            if (k == key)
            {
                return _listMasks[_values[slot]];
            }

            if (k == 0)
            {
                return 0;
            }

            slot = (slot + 1) & _mask;
        }
    }
}
