namespace MiSinkhole.Rules;

/// <summary>What parsing one list source produced.</summary>
public sealed record RuleListStats(int Lines, int Rules, int Skipped, int Errors);
