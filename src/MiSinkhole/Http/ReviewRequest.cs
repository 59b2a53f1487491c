namespace MiSinkhole.Http;

/// <summary>The body of <c>POST /api/review</c>: an unclassified name and what it is (<c>telemetry</c>, <c>ads</c>, <c>crash</c>, <c>essential</c>, <c>ignore</c>).</summary>
public sealed record ReviewRequest(string? Name, string? Decision);
