using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;

namespace MiSinkhole.Core.Stages.Accounting;

/// <summary>
/// The accounting stage's instruments: <c>misinkhole_dns_queries_total</c> and the query duration
/// for every query it sees (and, from the transports, queries they drop before the chain: every
/// query context busy), the policy matches per device, category and action, and the queries for
/// unclassified Xiaomi names per device (never the name: it would be an unbounded label). Counts
/// are our own striped counters, read when Prometheus scrapes.
/// </summary>
public sealed class QueryMetrics
{
    private readonly QueryCounters _queries = new();
    private readonly Histogram<double> _duration;
    private readonly ConcurrentDictionary<(string Device, string Category, string Action), StripedCounter> _policyMatches = new();
    private readonly ConcurrentDictionary<string, StripedCounter> _unclassified = new();
    private readonly ConcurrentDictionary<(string Device, LimitReason Limit), StripedCounter> _limited = new();

    [ThreadStatic]
    private static LastMatch? t_lastMatch;

    public QueryMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableCounter("misinkhole.dns.queries", _queries.Measurements, description: "DNS queries answered (or dropped), by transport, query type and outcome.");
        _duration = meter.CreateHistogram<double>("misinkhole.dns.query.duration", unit: "s", description: "Time from receiving a query (on Linux UDP, the batch it arrived in) to its answer being written, by outcome.");
        meter.CreateObservableCounter("misinkhole.policy.matches", PolicyMatches,
            description: "Queries a policy list decided, by device, category (list) and action: blocked, logged (would have blocked) or allowed.");
        meter.CreateObservableCounter("misinkhole.unclassified.queries", Unclassified,
            description: "Queries for unclassified Xiaomi names (under Xiaomi's zones, decided by no list), by device; the names are at /api/unclassified.");
        meter.CreateObservableCounter("misinkhole.rate_limited.queries", Limited,
            description: "Queries the RateLimit section turned away, by device and limit: rate (over the client's token bucket) or upstream_share (the client held its share of Dns:MaxInFlight).");
    }

    /// <summary>Records one finished query.</summary>
    /// <param name="qtype">An index into <see cref="MetricLabels.QueryTypes"/> (<see cref="MetricLabels.QueryTypeIndex"/>).</param>
    public void RecordQuery(DnsTransport transport, int qtype, Outcome outcome, double seconds)
    {
        _queries.Increment(transport, qtype, outcome);
        _duration.Record(seconds, new KeyValuePair<string, object?>("outcome", MetricLabels.Outcome(outcome)));
    }

    /// <summary>Counts a query the transport dropped unanswered (every query context busy).</summary>
    public void RecordDropped(DnsTransport transport) => _queries.Increment(transport, MetricLabels.QueryTypes.Length - 1, Outcome.Dropped);

    /// <summary>Counts a query a policy list decided; the labels are bounded by the config (devices, lists).</summary>
    public void RecordPolicyMatch(string device, string category, PolicyAction action)
    {
        // The thread's last match first, by reference (the names are the config's own strings):
        // a flood of one device's blocked names skips hashing three strings for every query.
        LastMatch last = t_lastMatch ??= new LastMatch();
        if (ReferenceEquals(last.Owner, this) && ReferenceEquals(last.Device, device) && ReferenceEquals(last.Category, category)
            && last.Action == action && last.Counter is { } known)
        {
            known.Increment();
            return;
        }

        string label = MetricLabels.Action(action);
        if (!_policyMatches.TryGetValue((device, category, label), out StripedCounter? counter))
        {
            counter = _policyMatches.GetOrAdd((device, category, label), static _ => new StripedCounter());
        }

        (last.Owner, last.Device, last.Category, last.Action, last.Counter) = (this, device, category, action, counter);
        counter.Increment();
    }

    /// <summary>Counts a query for an unclassified Xiaomi name; the label is bounded by the config (devices, or <c>unknown</c>).</summary>
    public void RecordUnclassified(string device)
    {
        if (!_unclassified.TryGetValue(device, out StripedCounter? counter))
        {
            counter = _unclassified.GetOrAdd(device, static _ => new StripedCounter());
        }

        counter.Increment();
    }

    /// <summary>Counts a query the <c>RateLimit</c> section turned away; the labels are bounded (devices, or <c>unknown</c>; two limits).</summary>
    public void RecordLimited(string device, LimitReason limit)
    {
        if (!_limited.TryGetValue((device, limit), out StripedCounter? counter))
        {
            counter = _limited.GetOrAdd((device, limit), static _ => new StripedCounter());
        }

        counter.Increment();
    }

    private IEnumerable<Measurement<long>> Limited() =>
        _limited.Select(p => new Measurement<long>(p.Value.Value,
            new KeyValuePair<string, object?>("device", p.Key.Device),
            new KeyValuePair<string, object?>("limit", p.Key.Limit == LimitReason.Rate ? "rate" : "upstream_share")));

    private IEnumerable<Measurement<long>> Unclassified() =>
        _unclassified.Select(p => new Measurement<long>(p.Value.Value, new KeyValuePair<string, object?>("device", p.Key)));

    /// <summary>One thread's last policy-match counter and what it counts (written by that thread only).</summary>
    private sealed class LastMatch
    {
        public QueryMetrics? Owner;
        public string? Device;
        public string? Category;
        public PolicyAction Action;
        public StripedCounter? Counter;
    }

    private IEnumerable<Measurement<long>> PolicyMatches() =>
        _policyMatches.Select(p => new Measurement<long>(p.Value.Value,
            new KeyValuePair<string, object?>("device", p.Key.Device),
            new KeyValuePair<string, object?>("category", p.Key.Category),
            new KeyValuePair<string, object?>("action", p.Key.Action)));
}
