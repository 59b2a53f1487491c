using System.Diagnostics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Core.Stages.Accounting;

/// <summary>
/// Outermost: accounts for every query, also those refused or malformed, once it is answered (or
/// dropped): counts it in the metrics by transport, query type and outcome, with its duration,
/// per device, category and action when a policy list decided it, and per device when it was
/// for an unclassified Xiaomi name; and offers answered
/// queries to the query log (which keeps what its mode asks for). Label values are fixed
/// strings; nothing here waits on the exporter or the database.
/// </summary>
public sealed class AccountingStage : IQueryStage, IQueryCompletion
{
    private readonly QueryMetrics _metrics;
    private readonly QueryLogWriter _queryLog;

    public AccountingStage(QueryMetrics metrics, QueryLogWriter queryLog)
    {
        _metrics = metrics;
        _queryLog = queryLog;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        long start = context.ReceivedAt != 0 ? context.ReceivedAt : Stopwatch.GetTimestamp();
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return context.Defer(pending, this, start);
        }

        pending.GetAwaiter().GetResult();
        Record(context, start);
        return default;
    }

    void IQueryCompletion.Complete(QueryContext context, long start, Exception? error)
    {
        if (error is null)
        {
            Record(context, start);
        }
    }

    private void Record(QueryContext context, long start)
    {
        Outcome outcome = context.Outcome == Outcome.None && context.ResponseLength == 0 ? Outcome.Dropped : context.Outcome;
        long end = Stopwatch.GetTimestamp();
        double seconds = (end - start) / (double)Stopwatch.Frequency;
        _metrics.RecordQuery(
            context.Transport,
            context.Query.NameLength > 0 ? MetricLabels.QueryTypeIndex(context.Query.Type) : MetricLabels.QueryTypes.Length - 1,
            outcome,
            seconds);
        if (context.ResponseLength > 0 && context.PolicyAction != PolicyAction.None && context.MatchedList is string list)
        {
            _metrics.RecordPolicyMatch(context.Device, list, context.PolicyAction);
        }

        if (context.ResponseLength > 0 && context.UnclassifiedList is not null)
        {
            _metrics.RecordUnclassified(context.Device);
        }

        if (outcome == Outcome.Limited)
        {
            _metrics.RecordLimited(context.Device, context.Limit);
        }

        if (outcome is not (Outcome.Refused or Outcome.FormErr or Outcome.NotImp or Outcome.Dropped or Outcome.Limited))
        {
            _queryLog.Record(context, outcome, seconds * 1000, end);
        }
    }
}
