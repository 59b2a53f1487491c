namespace MiSinkhole.Core.QueryLog;

/// <summary>One category (the list that decided) of one device: queries blocked, and queries only logged (would have been blocked).</summary>
public sealed record CategoryStats(string Category, long Blocked, long Logged);
