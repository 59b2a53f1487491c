namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// One row of the query log, as the API returns it: <see cref="Count"/> queries (a client asking
/// the same name with the same outcome within one minute, the first at <see cref="Time"/> with its latency).
/// <see cref="Forwarder"/> is the trusted forwarding router that named the client, when it asked through one;
/// <see cref="Instance"/> the daemon that answered (<c>Instance:Name</c>; null in rows from before it was recorded).
/// </summary>
public sealed record QueryLogRow(long Id, DateTimeOffset Time, string Device, string Client, string Name, string Type, string Outcome,
    string? Action, string? List, string? Rule, int? ResponseCode, double LatencyMs, long Count = 1, string? Forwarder = null, string? Instance = null);
