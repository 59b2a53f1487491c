namespace MiSinkhole.Rules;

/// <summary>The record types a <c>$dnstype</c> rule applies to (listed, or all but the listed when negated).</summary>
public sealed record DnsTypeFilter(IReadOnlyList<ushort> Types, bool Negated)
{
    public bool Applies(ushort type) => Types.Contains(type) != Negated;

    public bool Equals(DnsTypeFilter? other) =>
        other is not null && Negated == other.Negated && Types.Order().SequenceEqual(other.Types.Order());

    public override int GetHashCode() => HashCode.Combine(Negated, Types.Count);
}
