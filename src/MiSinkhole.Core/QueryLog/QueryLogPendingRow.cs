using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// One row of a flush as a store writes it: the first event of its key, how many queries it stands
/// for, the texts the writer made (name, client token, rule, forwarder), and the row it adds to
/// when the collapser remembers one (<see cref="ExistingId"/>; 0: a new row). The store sets
/// <see cref="Id"/>: that row's id when it was still there, else the new row's.
/// </summary>
internal struct QueryLogPendingRow
{
    public QueryLogEvent Event;
    public int Count;
    public long ExistingId;
    public string Name;
    public string Client;
    public string? Rule;
    public string? Forwarder;
    public long Id;

    public readonly string Type => DnsRecordType.ToText(Event.Type);

    public readonly string Outcome => MetricLabels.Outcome(Event.Outcome);

    /// <summary>blocked / logged / allowed, <c>unclassified</c> for a name no list decided under a zone, or null.</summary>
    public readonly string? Action =>
        Event.Action != PolicyAction.None ? MetricLabels.Action(Event.Action) : Event.Unclassified is not null ? QueryLogWriter.UnclassifiedAction : null;

    /// <summary>The deciding list, or for an unclassified name its zone list.</summary>
    public readonly string? List => Event.Action == PolicyAction.None ? Event.Unclassified : Event.List;

    public readonly int? ResponseCode => Event.ResponseCode < 0 ? null : Event.ResponseCode;

    public readonly double LatencyMs => Math.Round(Event.LatencyMilliseconds, 3);
}
