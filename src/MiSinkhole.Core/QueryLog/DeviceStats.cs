namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// One device's totals since a time: queries, blocked, only logged (would have been blocked),
/// DNS-bypass attempts (category <c>dns-bypass</c>, blocked or logged), and the blocked and
/// logged queries by category.
/// </summary>
public sealed record DeviceStats(string Device, long Queries, long Blocked, long Logged, long Bypass, IReadOnlyList<CategoryStats> Categories);
