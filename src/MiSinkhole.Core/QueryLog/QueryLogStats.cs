namespace MiSinkhole.Core.QueryLog;

/// <summary>Totals from the query log since a time: per outcome, device and category, per device by category, and the top blocked and logged names per device.</summary>
public sealed record QueryLogStats(
    DateTimeOffset Since,
    long Total,
    IReadOnlyDictionary<string, long> ByOutcome,
    IReadOnlyDictionary<string, long> ByDevice,
    IReadOnlyDictionary<string, long> ByCategory,
    IReadOnlyDictionary<string, IReadOnlyList<NameCount>> TopBlocked,
    IReadOnlyDictionary<string, IReadOnlyList<NameCount>> TopLogged)
{
    /// <summary>Per device: queries, blocked, only logged, bypass attempts, and blocked and logged by category; most queries first.</summary>
    public IReadOnlyList<DeviceStats> PerDevice { get; init; } = [];
}
