namespace MiSinkhole.Rules;

/// <summary>Which names a domain rule covers.</summary>
public enum RuleScope : byte
{
    /// <summary>The name and all its subdomains: <c>||d^</c>, a plain domain, a hosts entry.</summary>
    NameAndSubdomains,

    /// <summary>Only the name itself: <c>|d^</c>.</summary>
    ExactName,

    /// <summary>Only subdomains, not the name: <c>*.d</c>, <c>||*.d^</c>.</summary>
    SubdomainsOnly,

    /// <summary>A regular expression over the whole name: <c>/…/</c> and wildcard patterns.</summary>
    Pattern,
}
