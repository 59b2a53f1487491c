using System.Diagnostics;
using System.Diagnostics.Metrics;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Lists;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.Rules;
using MiSinkhole.Core.Stages.Cache;

namespace MiSinkhole.Core.Metrics;

/// <summary>
/// Every metric the daemon exports, on the OpenTelemetry meter <see cref="MeterName"/> (exported
/// for Prometheus as <c>misinkhole_*</c>). Per-query instruments take only fixed label values
/// (<see cref="MetricLabels"/>); state (rules, cache, lists, inventory) is observed when scraped.
/// Every instrument has a description, which <c>promtool check metrics</c> requires.
/// </summary>
public sealed class SinkholeMetrics
{
    public const string MeterName = "MiSinkhole";

    /// <summary>Bucket bounds for query and upstream durations, in seconds (50 µs to 5 s).</summary>
    public static readonly double[] DurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly QueryCounters _queries = new();
    private readonly Histogram<double> _queryDuration;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Device, string Category, string Action), StripedCounter> _policyMatches = new();
    private readonly Counter<long> _upstreamQueries;
    private readonly Histogram<double> _upstreamDuration;

    public SinkholeMetrics(IMeterFactory meterFactory, RuleEngine rules, DnsCache cache, ListRefreshService lists, DeviceInventory inventory, QueryLogWriter queryLog)
    {
        Meter meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("misinkhole.dns.queries", _queries.Measurements, description: "DNS queries answered (or dropped), by transport, query type and outcome.");
        _queryDuration = meter.CreateHistogram<double>("misinkhole.dns.query.duration", unit: "s", description: "Time from decoding a query to its answer being written, by outcome.");
        meter.CreateObservableCounter("misinkhole.policy.matches", PolicyMatches, description: "Queries a policy list decided, by device, category (list) and action: blocked, logged (would have blocked) or allowed.");
        _upstreamQueries = meter.CreateCounter<long>("misinkhole.upstream.queries", description: "Exchanges with upstream servers, by upstream and result.");
        _upstreamDuration = meter.CreateHistogram<double>("misinkhole.upstream.duration", unit: "s", description: "Duration of upstream exchanges, by upstream and result.");
        meter.CreateObservableCounter("misinkhole.cache.hits", () => CacheHits.Value, description: "Queries answered from the cache.");
        meter.CreateObservableCounter("misinkhole.cache.misses", () => CacheMisses.Value, description: "Queries the cache could not answer (forwarded upstream).");
        meter.CreateObservableGauge("misinkhole.cache.entries", () => cache.Count, description: "Answers held in the cache.");
        meter.CreateObservableGauge("misinkhole.rules.loaded", () => RuleCounts(rules), description: "Rules loaded per list (category).");
        meter.CreateObservableGauge("misinkhole.rules.last_load", () => rules.TryGetCurrent() is { } s ? s.CompiledAt.ToUnixTimeSeconds() : 0L, unit: "s",
            description: "Unix time the rules were last compiled (start, list refresh or config reload).");
        meter.CreateObservableGauge("misinkhole.list.last_refresh", () => lists.LastGoodRefreshByList.Select(p => new Measurement<long>(p.Value.ToUnixTimeSeconds(), new KeyValuePair<string, object?>("list", p.Key))),
            unit: "s", description: "Unix time a list's URL sources last downloaded or confirmed a good copy.");
        meter.CreateObservableCounter("misinkhole.list.refresh_failures", () => ListFailures(rules, lists), description: "List downloads that failed (HTTP error, garbage, timeout); the last good copy stays.");
        meter.CreateObservableCounter("misinkhole.querylog.written", () => queryLog.Written, description: "Query-log events written to the database.");
        meter.CreateObservableCounter("misinkhole.querylog.dropped", () => queryLog.Dropped, description: "Query-log events dropped because the queue was full or the database could not be written (the DNS path never waits).");
        meter.CreateObservableGauge("misinkhole.inventory.clients", () => inventory.Count, description: "Clients in the device inventory (configured devices and others).");
    }

    /// <summary>Counted by the metrics stage, exported as an observable counter (no shared cache line per query).</summary>
    public StripedCounter CacheHits { get; } = new();

    public StripedCounter CacheMisses { get; } = new();

    /// <summary>Records one finished query (the observe stage, for every query).</summary>
    /// <param name="qtype">An index into <see cref="MetricLabels.QueryTypes"/> (<see cref="MetricLabels.QueryTypeIndex"/>).</param>
    public void RecordQuery(DnsTransport transport, int qtype, Outcome outcome, double seconds)
    {
        _queries.Increment(transport, qtype, outcome);
        _queryDuration.Record(seconds, new KeyValuePair<string, object?>("outcome", MetricLabels.Outcome(outcome)));
    }

    /// <summary>Counts a query the transport dropped unanswered (every query context busy).</summary>
    public void RecordDropped(DnsTransport transport) => _queries.Increment(transport, MetricLabels.QueryTypes.Length - 1, Outcome.Dropped);

    /// <summary>
    /// Records a query a policy list decided (the record stage): a striped counter per (device,
    /// category, action), read when scraped; the labels are bounded by the config.
    /// </summary>
    public void RecordPolicyMatch(string device, string category, string action)
    {
        if (!_policyMatches.TryGetValue((device, category, action), out StripedCounter? counter))
        {
            counter = _policyMatches.GetOrAdd((device, category, action), static _ => new StripedCounter());
        }

        counter.Increment();
    }

    private IEnumerable<Measurement<long>> PolicyMatches() =>
        _policyMatches.Select(p => new Measurement<long>(p.Value.Value,
            new KeyValuePair<string, object?>("device", p.Key.Device),
            new KeyValuePair<string, object?>("category", p.Key.Category),
            new KeyValuePair<string, object?>("action", p.Key.Action)));

    /// <summary>Records one upstream exchange: result is ok, timeout, servfail, refused, error or truncated.</summary>
    public void RecordUpstream(string upstream, string result, double seconds)
    {
        var tags = new TagList { { "upstream", upstream }, { "result", result } };
        _upstreamQueries.Add(1, tags);
        _upstreamDuration.Record(seconds, tags);
    }

    private static IEnumerable<Measurement<long>> RuleCounts(RuleEngine rules)
    {
        if (rules.TryGetCurrent() is not { } snapshot)
        {
            yield break;
        }

        for (int i = 0; i < snapshot.ListRuleCounts.Count; i++)
        {
            yield return new Measurement<long>(snapshot.ListRuleCounts[i], new KeyValuePair<string, object?>("list", snapshot.ListName(i)));
        }
    }

    private static IEnumerable<Measurement<long>> ListFailures(RuleEngine rules, ListRefreshService lists)
    {
        // Every list with URL sources reports, 0 until it fails: alerts need the series to exist.
        IEnumerable<string> names = rules.TryGetOptions()?.Lists.Where(l => l.Subscriptions.Count > 0).Select(l => l.Name) ?? [];
        foreach (string list in names.Union(lists.FailuresByList.Keys, StringComparer.OrdinalIgnoreCase))
        {
            yield return new Measurement<long>(lists.FailuresByList.GetValueOrDefault(list), new KeyValuePair<string, object?>("list", list));
        }
    }
}
