namespace MiSinkhole.Rules;

/// <summary>The record types a <c>$dnstype</c> rule applies to (listed, or all but the listed when negated).</summary>
public sealed record DnsTypeFilter(IReadOnlyList<ushort> Types, bool Negated)
{
    public bool Applies(ushort type) => Types.Contains(type) != Negated;
}
