using System.Text.RegularExpressions;

namespace MiSinkhole.Rules;

/// <summary>
/// A rule that needs more than a table lookup: restricted to some record types (<c>$dnstype</c>)
/// or a pattern. Kept out of the hash table so ordinary lookups stay one probe per label.
/// </summary>
internal sealed record SpecialRule(int List, RuleScope Scope, bool Exception, bool Important, DnsTypeFilter? Types, Regex? Pattern)
{
    public RuleCombo Combo => RuleCombo.For(Scope == RuleScope.Pattern ? RuleScope.ExactName : Scope, Exception, Important, 1UL << List);
}
