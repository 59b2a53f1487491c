using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Http;

/// <summary>One page of /api/querylog; <see cref="NextCursor"/> fetches the next (older) one.</summary>
public sealed record QueryLogPage(IReadOnlyList<QueryLogRow> Items, string? NextCursor);
