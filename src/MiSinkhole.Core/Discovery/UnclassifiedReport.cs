namespace MiSinkhole.Core.Discovery;

/// <summary>The answer of <c>/api/unclassified</c>: the unclassified Xiaomi names, newest first.</summary>
public sealed record UnclassifiedReport(IReadOnlyList<UnclassifiedNameReport> Names);
