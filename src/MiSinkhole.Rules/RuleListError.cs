namespace MiSinkhole.Rules;

/// <summary>A line of a list that could not be used: where it is and why.</summary>
public sealed record RuleListError(string Source, int Line, string Reason, string Text)
{
    public override string ToString() => $"{Source}:{Line}: {Reason}: '{Text}'";
}
