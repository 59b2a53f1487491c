using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// One name a client asked for that a policy blocked or only logged ("would have blocked"):
/// which list and rule, how often, and when last.
/// </summary>
public sealed record MatchRecord(string Name, string List, string? Rule, PolicyAction Action, long Count, DateTimeOffset LastSeen);
