using System.Numerics;
using System.Runtime.CompilerServices;
using MiSinkhole.Dns;

namespace MiSinkhole.Rules;

/// <summary>
/// An immutable, compiled rule set. Each rule name is stored only as its 64-bit
/// <see cref="DomainHash"/> in an open-addressing table whose slot points at a shared
/// <see cref="RuleCombo"/> (which lists hold the name, as the name itself or as a parent; which as
/// exceptions; which as important). Matching walks the query name's labels once from the right
/// and probes every suffix, so the cost depends on the number of labels, not of rules, and
/// nothing is allocated. A one-bit-per-slot prefilter answers most misses without touching the
/// big table. Shape rules (<c>|label.*.zone^</c>) are two more small tables probed on the same
/// walk (<see cref="ShapeTable"/>). <c>$dnstype</c> rules and other patterns, when a list has
/// any, are checked on the side.
/// </summary>
public sealed partial class CompiledRuleSet
{
    private readonly ulong[] _keys;
    private readonly ushort[] _values;
    private readonly RuleCombo[] _combos;
    private readonly ulong[] _filter;
    private readonly int _filterShift;
    private readonly int _mask;
    private readonly Dictionary<ulong, SpecialRule[]>? _typed;
    private readonly SpecialRule[] _patterns;
    private readonly ShapeTable? _shapes;

    internal CompiledRuleSet(ulong[] keys, ushort[] values, RuleCombo[] combos, ulong[] filter, string[] listNames, int count,
        Dictionary<ulong, SpecialRule[]>? typed, SpecialRule[] patterns, ShapeTable? shapes)
    {
        _keys = keys;
        _values = values;
        _combos = combos;
        _filter = filter;
        _filterShift = 64 - BitOperations.Log2((ulong)filter.Length * 64);
        _mask = keys.Length - 1;
        _typed = typed;
        _patterns = patterns;
        _shapes = shapes;
        ListNames = listNames;
        Count = count;
    }

    /// <summary>An empty set that matches nothing.</summary>
    public static CompiledRuleSet Empty { get; } = new RuleSetBuilder([]).Build();

    /// <summary>Names of the lists, by index (bit position in <see cref="RuleMatch"/> masks).</summary>
    public IReadOnlyList<string> ListNames { get; }

    /// <summary>Distinct rule names in the table (not counting pattern rules).</summary>
    public int Count { get; }

    /// <summary>Rules matched by pattern (regular expressions and wildcards, shapes among them).</summary>
    public int PatternCount => _patterns.Length + ShapeCount;

    /// <summary>Shape rules (<c>|label.*.zone^</c>), matched by table lookups rather than as patterns.</summary>
    public int ShapeCount => _shapes?.Count ?? 0;

    /// <summary>
    /// Matches a lowercased, uncompressed wire-format name (as the query parser produces) asked
    /// with record type <paramref name="type"/> (used by <c>$dnstype</c> rules only).
    /// </summary>
    public RuleMatch Match(ReadOnlySpan<byte> lowerWireName, ushort type = 0)
    {
        // Label start offsets, left to right; a name has at most 127 labels.
        Span<byte> starts = stackalloc byte[128];
        int labels = 0;
        int position = 0;
        while (position < lowerWireName.Length && lowerWireName[position] != 0)
        {
            starts[labels++] = (byte)position;
            position += 1 + lowerWireName[position];
        }

        RuleMatch found = default;
        if (Count > 0 || _typed is not null || _shapes is not null)
        {
            ulong h = DomainHash.RootSeed;
            for (int i = labels - 1; i >= 0; i--)
            {
                int start = starts[i];
                h = DomainHash.Extend(h, lowerWireName.Slice(start + 1, lowerWireName[start]));
                ushort combo = Lookup(h);
                if (combo != 0)
                {
                    found = found.Add(_combos[combo], atName: i == 0);
                }

                if (_typed is not null && _typed.TryGetValue(h, out SpecialRule[]? typed))
                {
                    found = AddTyped(found, typed, type, atName: i == 0);
                }

                // A shape's zone leaves the leftmost label and at least one more on its left.
                if (_shapes is not null && i >= 2 && _shapes.HasZone(h))
                {
                    ushort shape = _shapes.Lookup(h, ShapeTable.LabelKey(lowerWireName.Slice(1, lowerWireName[0])));
                    if (shape != 0)
                    {
                        found = found.Add(_combos[shape], atName: true);
                    }
                }
            }
        }

        return _patterns.Length == 0 ? found : MatchPatterns(found, lowerWireName, type);
    }

    /// <summary>Matches a dotted name (trailing dot and case ignored).</summary>
    public RuleMatch Match(string name, ushort type = 0)
    {
        Span<byte> wire = stackalloc byte[256];
        return DnsName.TryFromText(name, wire, out int length) ? Match(wire[..length], type) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort Lookup(ulong key)
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
                return _values[slot];
            }

            if (k == 0)
            {
                return 0;
            }

            slot = (slot + 1) & _mask;
        }
    }

    private static RuleMatch AddTyped(RuleMatch found, SpecialRule[] rules, ushort type, bool atName)
    {
        foreach (SpecialRule rule in rules)
        {
            if (rule.Types is null || rule.Types.Applies(type))
            {
                found = found.Add(rule.Combo, atName);
            }
        }

        return found;
    }

    private RuleMatch MatchPatterns(RuleMatch found, ReadOnlySpan<byte> lowerWireName, ushort type)
    {
        // Patterns see the dotted name without the trailing dot ("ads.example.com").
        Span<char> text = stackalloc char[256];
        int length = 0;
        int position = 0;
        while (position < lowerWireName.Length && lowerWireName[position] != 0)
        {
            if (length > 0)
            {
                text[length++] = '.';
            }

            int labelLength = lowerWireName[position];
            for (int i = 1; i <= labelLength; i++)
            {
                text[length++] = (char)lowerWireName[position + i];
            }

            position += 1 + labelLength;
        }

        foreach (SpecialRule rule in _patterns)
        {
            if ((rule.Types is null || rule.Types.Applies(type)) && rule.Pattern!.IsMatch(text[..length]))
            {
                found = found.Add(rule.Combo, atName: true);
            }
        }

        return found;
    }
}
