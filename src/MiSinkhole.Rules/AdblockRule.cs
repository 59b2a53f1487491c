namespace MiSinkhole.Rules;

/// <summary>
/// One adblock-style DNS rule as parsed: the name (in the caller's buffer) or pattern, its scope
/// and its modifiers. Rules without <c>$dnstype</c> or a pattern allocate nothing.
/// </summary>
public readonly record struct AdblockRule
{
    public RuleScope Scope { get; init; }

    /// <summary><c>@@</c>: an exception that un-blocks what other rules block.</summary>
    public bool IsException { get; init; }

    /// <summary><c>$important</c>: beats exceptions and Allow lists.</summary>
    public bool IsImportant { get; init; }

    /// <summary><c>$badfilter</c>: disables the same rule written without this modifier.</summary>
    public bool IsBadFilter { get; init; }

    /// <summary><c>$dnstype=A|AAAA</c> (or <c>~A</c> to exclude); null when the rule applies to every type.</summary>
    public DnsTypeFilter? Types { get; init; }

    /// <summary>For <see cref="RuleScope.Pattern"/>: a .NET regular expression over the lowercase dotted name.</summary>
    public string? Pattern { get; init; }

    /// <summary>
    /// For the pattern <c>|label.*.zone^</c>: the label (the zone is the rule's name). The rule
    /// set matches these shapes by table lookups; <see cref="Pattern"/> says the same as a regex.
    /// </summary>
    public string? ShapeLabel { get; init; }
}
