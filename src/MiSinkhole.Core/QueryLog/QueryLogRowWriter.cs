using Microsoft.Data.Sqlite;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.QueryLog;

/// <summary>The two prepared statements of one flush: a new row, and more to an existing row's count.</summary>
internal sealed class QueryLogRowWriter : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _add;
    private readonly SqliteParameter _time;
    private readonly SqliteParameter _device;
    private readonly SqliteParameter _client;
    private readonly SqliteParameter _name;
    private readonly SqliteParameter _type;
    private readonly SqliteParameter _outcome;
    private readonly SqliteParameter _action;
    private readonly SqliteParameter _list;
    private readonly SqliteParameter _rule;
    private readonly SqliteParameter _rcode;
    private readonly SqliteParameter _latency;
    private readonly SqliteParameter _count;
    private readonly SqliteParameter _addId;
    private readonly SqliteParameter _addCount;

    public QueryLogRowWriter(SqliteConnection connection)
    {
        _insert = connection.CreateCommand();
        _insert.CommandText = """
            INSERT INTO queries (time, device, client, name, type, outcome, action, list, rule, rcode, latency_ms, count)
            VALUES ($time, $device, $client, $name, $type, $outcome, $action, $list, $rule, $rcode, $latency, $count)
            RETURNING id
            """;
        _time = _insert.Parameters.Add("$time", SqliteType.Integer);
        _device = _insert.Parameters.Add("$device", SqliteType.Text);
        _client = _insert.Parameters.Add("$client", SqliteType.Text);
        _name = _insert.Parameters.Add("$name", SqliteType.Text);
        _type = _insert.Parameters.Add("$type", SqliteType.Text);
        _outcome = _insert.Parameters.Add("$outcome", SqliteType.Text);
        _action = _insert.Parameters.Add("$action", SqliteType.Text);
        _list = _insert.Parameters.Add("$list", SqliteType.Text);
        _rule = _insert.Parameters.Add("$rule", SqliteType.Text);
        _rcode = _insert.Parameters.Add("$rcode", SqliteType.Integer);
        _latency = _insert.Parameters.Add("$latency", SqliteType.Real);
        _count = _insert.Parameters.Add("$count", SqliteType.Integer);
        _insert.Prepare();
        _add = connection.CreateCommand();
        _add.CommandText = "UPDATE queries SET count = count + $count WHERE id = $id";
        _addId = _add.Parameters.Add("$id", SqliteType.Integer);
        _addCount = _add.Parameters.Add("$count", SqliteType.Integer);
        _add.Prepare();
    }

    /// <summary>Writes a row for <paramref name="e"/> standing for <paramref name="count"/> queries; returns its id.</summary>
    public long Insert(QueryLogEvent e, string name, int count, string client, string? rule)
    {
        _time.Value = e.UnixMilliseconds;
        _device.Value = e.Device;
        _client.Value = client;
        _name.Value = name;
        _type.Value = DnsRecordType.ToText(e.Type);
        _outcome.Value = MetricLabels.Outcome(e.Outcome);
        _action.Value = e.Action != PolicyAction.None ? MetricLabels.Action(e.Action) : e.Unclassified is not null ? QueryLogWriter.UnclassifiedAction : DBNull.Value;
        _list.Value = (object?)(e.Action == PolicyAction.None ? e.Unclassified : e.List) ?? DBNull.Value;
        _rule.Value = (object?)rule ?? DBNull.Value;
        _rcode.Value = e.ResponseCode < 0 ? DBNull.Value : e.ResponseCode;
        _latency.Value = Math.Round(e.LatencyMilliseconds, 3);
        _count.Value = count;
        return (long)_insert.ExecuteScalar()!;
    }

    /// <summary>Adds <paramref name="count"/> queries to row <paramref name="id"/>; false when that row is gone.</summary>
    public bool Add(long id, int count)
    {
        _addId.Value = id;
        _addCount.Value = count;
        return _add.ExecuteNonQuery() == 1;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _add.Dispose();
    }
}
