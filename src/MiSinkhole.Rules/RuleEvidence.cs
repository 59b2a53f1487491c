namespace MiSinkhole.Rules;

/// <summary>One piece of evidence for a rule: its kind (<see cref="RuleNotes.Kinds"/>) and a reference (a URL or <c>repo:path</c>).</summary>
public sealed record RuleEvidence(string Kind, string Reference);
