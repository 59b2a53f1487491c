namespace MiSinkhole.Core.Configuration;

/// <summary>One entry of the <c>Lists</c> section: a named rule list and its sources.</summary>
public sealed record ListOptions(string Name, IReadOnlyList<string> Sources);
