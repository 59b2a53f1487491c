using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The writer's memory of this minute's rows, so a client asking the same name with the same
/// outcome again adds to its row's count instead of writing another: a phone retrying a blocked
/// tracker ten times a second writes one row a minute. Keyed by the wall-clock minute, device,
/// client address (not port: retries come from new ports), name, type, outcome, action, list and
/// response code. Holds at most <see cref="MaxRows"/> rows (beyond that new rows are written
/// without being remembered), and forgets the previous minute's when a later minute begins.
/// Used by the writer's thread only.
/// </summary>
internal sealed class QueryLogCollapser
{
    /// <summary>Rows remembered at most (one minute's distinct queries on a busy network).</summary>
    public const int MaxRows = 65_536;

    private Dictionary<Key, long> _rows = [];
    private long _minute;

    /// <summary>The key of an event: its minute and everything a row shows but the time and the latency.</summary>
    public static Key KeyOf(QueryLogEvent e, string name) =>
        new(e.UnixMilliseconds / 60_000, e.Device, e.Client.Bits, e.Client.IsIPv4, name, e.Type, e.Outcome, e.Action, e.List, e.Unclassified, e.ResponseCode);

    /// <summary>The id of this minute's row for <paramref name="key"/>, if one was written.</summary>
    public bool TryGetRow(in Key key, out long id) => _rows.TryGetValue(key, out id);

    /// <summary>Remembers the row written for <paramref name="key"/>; a later minute forgets the earlier ones first.</summary>
    public void Remember(in Key key, long id)
    {
        if (key.Minute > _minute)
        {
            // A burst's table is let go rather than cleared (Clear keeps its capacity): a quiet minute holds little.
            _rows = _rows.Count > 1024 ? [] : _rows;
            _rows.Clear();
            _minute = key.Minute;
        }

        if (key.Minute == _minute && (_rows.Count < MaxRows || _rows.ContainsKey(key)))
        {
            _rows[key] = id;
        }
    }

    /// <summary>Forgets a row that is gone (deleted by the retention or the disk budget).</summary>
    public void Forget(in Key key) => _rows.Remove(key);

    /// <summary>What makes two events one row.</summary>
    internal readonly record struct Key(long Minute, string Device, UInt128 Client, bool IsIPv4, string Name, ushort Type, Outcome Outcome,
        PolicyAction Action, string? List, string? Unclassified, int ResponseCode);
}
