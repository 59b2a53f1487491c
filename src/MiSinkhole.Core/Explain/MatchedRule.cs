using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>One rule that covers the explained name: where it is written and what kind it is.</summary>
public sealed record MatchedRule(string List, string Source, int Line, string Text, RuleScope Scope, bool IsException, bool IsImportant);
