namespace MiSinkhole.Core.Discovery;

/// <summary>
/// One unclassified Xiaomi name: the zone it is under (and the zone list), what its shape
/// suggests (<see cref="NameShape"/>; null: nothing), how often and when it was asked in all,
/// and by which clients (newest first).
/// </summary>
public sealed record UnclassifiedNameReport(
    string Name,
    string Zone,
    string List,
    string? Suggested,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<UnclassifiedSighting> Clients);
