namespace MiSinkhole.Core.QueryLog;

/// <summary>The query log over time: equal steps from <paramref name="Since"/> to now, every step present (empty ones as zeros), oldest first.</summary>
public sealed record QueryTimeline(DateTimeOffset Since, TimeSpan Step, string? Device, IReadOnlyList<TimelineBucket> Buckets);
