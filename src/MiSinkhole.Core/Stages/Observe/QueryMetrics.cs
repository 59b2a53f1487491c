using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Stages.Observe;

/// <summary>
/// <c>misinkhole_dns_queries_total</c> and the query duration: recorded by the observe stage for
/// every query it sees, and by the transports for queries they drop before the chain (every
/// query context busy).
/// </summary>
public sealed class QueryMetrics
{
    private readonly QueryCounters _queries = new();
    private readonly Histogram<double> _duration;

    public QueryMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableCounter("misinkhole.dns.queries", _queries.Measurements, description: "DNS queries answered (or dropped), by transport, query type and outcome.");
        _duration = meter.CreateHistogram<double>("misinkhole.dns.query.duration", unit: "s", description: "Time from decoding a query to its answer being written, by outcome.");
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
}
