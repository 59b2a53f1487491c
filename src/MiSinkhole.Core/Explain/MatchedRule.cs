using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>One rule that covers the explained name: where it is written, what kind it is, and its evidence notes.</summary>
public sealed record MatchedRule(string List, string Source, int Line, string Text, RuleScope Scope, bool IsException, bool IsImportant)
{
    /// <summary>The <c># evidence:</c> notes of the rule's paragraph in its list, if it has any.</summary>
    public IReadOnlyList<RuleEvidence> Evidence { get; init; } = [];

    /// <summary>What blocking it is known to break (<c># breaks:</c>, extended-tier rules), if anything.</summary>
    public string? Breaks { get; init; }
}
