namespace MiSinkhole.Rules;

/// <summary>Where <see cref="RuleListParser"/> puts each rule it reads: the builder, or the explainer.</summary>
public interface IRuleSink
{
    /// <param name="rule">The rule (hosts and plain names arrive as <see cref="RuleScope.NameAndSubdomains"/>).</param>
    /// <param name="lowerName">Its normalised name; empty for patterns.</param>
    /// <param name="listIndex">The list being read.</param>
    /// <param name="line">The line number in the source.</param>
    void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line);
}
