namespace MiSinkhole.Core.Metrics;

/// <summary>
/// The meter every owner of instruments creates them on (from <c>IMeterFactory</c>, which hands
/// all of them the same meter), exported for Prometheus as <c>misinkhole_*</c>. Per-query
/// instruments take only fixed label values (<see cref="MetricLabels"/>); state is observed when
/// scraped. Every instrument has a description, which <c>promtool check metrics</c> requires.
/// </summary>
public static class SinkholeMeter
{
    public const string Name = "MiSinkhole";

    /// <summary>Bucket bounds for query and upstream durations, in seconds (50 µs to 5 s).</summary>
    public static readonly double[] DurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
}
