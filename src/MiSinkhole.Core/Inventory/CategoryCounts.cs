namespace MiSinkhole.Core.Inventory;

/// <summary>How many queries one list blocked, logged ("would have blocked") and allowed for a client.</summary>
public sealed record CategoryCounts(long Blocked, long Logged, long Allowed);
