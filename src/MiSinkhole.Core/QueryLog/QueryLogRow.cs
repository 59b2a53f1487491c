namespace MiSinkhole.Core.QueryLog;

/// <summary>One row of the query log, as the API returns it.</summary>
public sealed record QueryLogRow(long Id, DateTimeOffset Time, string Device, string Client, string Name, string Type, string Outcome,
    string? Action, string? List, string? Rule, int? ResponseCode, double LatencyMs);
