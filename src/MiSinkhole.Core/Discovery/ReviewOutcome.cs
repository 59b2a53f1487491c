namespace MiSinkhole.Core.Discovery;

/// <summary>What <see cref="LocalDecisions.Apply"/> did: whether it appended <paramref name="Rule"/> to <paramref name="File"/>, and a line saying so.</summary>
public sealed record ReviewOutcome(bool Appended, string File, string Rule, string Message);
