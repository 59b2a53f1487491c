using MiSinkhole.Dns;

namespace MiSinkhole.Rules;

/// <summary>Which rule matched, as text, for records of what was blocked or logged.</summary>
public sealed partial class CompiledRuleSet
{
    /// <summary>
    /// The rule of list <paramref name="listIndex"/> that covers the name: the listed name
    /// ("mistat.xiaomi.com", the most specific one when several do) or the pattern
    /// ("/^ad[0-9]+\./"); null when none does. Allocates the text: for records of matches, not
    /// for answering queries.
    /// </summary>
    public string? RuleFor(ReadOnlySpan<byte> lowerWireName, ushort type, int listIndex)
    {
        ulong bit = 1UL << listIndex;
        Span<byte> starts = stackalloc byte[128];
        Span<ulong> hashes = stackalloc ulong[128];
        int labels = 0;
        int position = 0;
        while (position < lowerWireName.Length && lowerWireName[position] != 0)
        {
            starts[labels++] = (byte)position;
            position += 1 + lowerWireName[position];
        }

        ulong h = DomainHash.RootSeed;
        for (int i = labels - 1; i >= 0; i--)
        {
            h = DomainHash.Extend(h, lowerWireName.Slice(starts[i] + 1, lowerWireName[starts[i]]));
            hashes[i] = h;
        }

        for (int i = 0; i < labels; i++)
        {
            RuleMatch found = default;
            ushort combo = Lookup(hashes[i]);
            if (combo != 0)
            {
                found = found.Add(_combos[combo], atName: i == 0);
            }

            if (_typed is not null && _typed.TryGetValue(hashes[i], out SpecialRule[]? typed))
            {
                found = AddTyped(found, typed, type, atName: i == 0);
            }

            if (((found.Lists | found.Exceptions) & bit) != 0)
            {
                return DnsName.ToText(lowerWireName[starts[i]..]);
            }
        }

        if (_shapes is not null && labels >= 3)
        {
            ulong label = ShapeTable.LabelKey(lowerWireName.Slice(1, lowerWireName[0]));
            for (int i = 2; i < labels; i++)
            {
                ushort shape = _shapes.HasZone(hashes[i]) ? _shapes.Lookup(hashes[i], label) : (ushort)0;
                if (shape != 0 && ((_combos[shape].ListsAtName | _combos[shape].ExceptionsAtName) & bit) != 0)
                {
                    return $"|{DnsName.ToText(lowerWireName[..(lowerWireName[0] + 1)]).TrimEnd('.')}.*.{DnsName.ToText(lowerWireName[starts[i]..])}^";
                }
            }
        }

        string text = DnsName.ToText(lowerWireName);
        foreach (SpecialRule rule in _patterns)
        {
            if (rule.List == listIndex && (rule.Types is null || rule.Types.Applies(type)) && rule.Pattern!.IsMatch(text))
            {
                return "/" + rule.Pattern + "/";
            }
        }

        return null;
    }
}
