namespace MiSinkhole.Core.QueryLog;

/// <summary>One step of a <see cref="QueryTimeline"/>: from <paramref name="Start"/>, the queries, blocked, only logged and DNS-bypass attempts.</summary>
public sealed record TimelineBucket(DateTimeOffset Start, long Queries, long Blocked, long Logged, long Bypass);
