using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The writer's memory of this minute's rows, so a client asking the same name with the same
/// outcome again adds to its row's count instead of writing another: a phone retrying a blocked
/// tracker ten times a second writes one row a minute. Keyed by the wall-clock minute, device,
/// client address (not port: retries come from new ports), name, type, outcome, action, list and
/// response code. Holds at most <see cref="MaxRows"/> rows (beyond that new rows are written
/// without being remembered), and forgets the previous minute's when a later minute begins.
/// A key is the minute and a 128-bit XxHash of the rest, not the fields themselves: 40 bytes
/// a row and no reference to a name string (a full table held 65,536 names and was written with
/// new ones all the time, which the GC had to scan at every young collection). Two different
/// queries sharing a hash within a minute (about 2^-96 at a full table) would share a row.
/// Used by the writer's thread only.
/// </summary>
internal sealed class QueryLogCollapser
{
    /// <summary>Rows remembered at most (one minute's distinct queries on a busy network).</summary>
    public const int MaxRows = 65_536;

    /// <summary>Rows at which a minute counts as busy and the table takes its full size at once.</summary>
    private const int GrowToFullAt = 4096;

    private readonly XxHash128 _hash = new();
    private readonly Dictionary<Key, long> _rows = [];
    private long _minute;

    /// <summary>The key of an event: its minute and everything a row shows but the time and the latency.</summary>
    public Key KeyOf(QueryLogEvent e)
    {
        Span<byte> fixedPart = stackalloc byte[26];
        BinaryPrimitives.WriteUInt128LittleEndian(fixedPart, e.Client.Bits);
        fixedPart[16] = e.Client.IsIPv4 ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[17..], e.Type);
        fixedPart[19] = (byte)e.Outcome;
        fixedPart[20] = (byte)e.Action;
        BinaryPrimitives.WriteInt32LittleEndian(fixedPart[21..], e.ResponseCode);
        fixedPart[25] = (byte)e.WireNameLength;
        _hash.Reset();
        _hash.Append(fixedPart);
        _hash.Append(e.Name); // wire format: its length bytes keep it apart from what follows
        Append(e.Device);
        Append(e.List);
        Append(e.Unclassified);
        return new Key(e.UnixMilliseconds / 60_000, _hash.GetCurrentHashAsUInt128());
    }

    /// <summary>The id of this minute's row for <paramref name="key"/>, if one was written.</summary>
    public bool TryGetRow(in Key key, out long id) => _rows.TryGetValue(key, out id);

    /// <summary>Remembers the row written for <paramref name="key"/>; a later minute forgets the earlier ones first.</summary>
    public void Remember(in Key key, long id)
    {
        if (key.Minute > _minute)
        {
            // Cleared, not let go: a table dropped after a busy minute was grown again (through
            // ever larger arrays on the large-object heap) by the next one, every minute of a flood.
            _rows.Clear();
            _minute = key.Minute;
        }

        if (key.Minute == _minute && (_rows.Count < MaxRows || _rows.ContainsKey(key)))
        {
            if (_rows.Count == GrowToFullAt)
            {
                _rows.EnsureCapacity(MaxRows); // a busy minute: straight to the bound, not by doubling past it
            }

            _rows[key] = id;
        }
    }

    /// <summary>Forgets a row that is gone (deleted by the retention or the disk budget).</summary>
    public void Forget(in Key key) => _rows.Remove(key);

    /// <summary>A string with its length in front (null as -1), so adjacent fields cannot run into each other.</summary>
    private void Append(string? text)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, text?.Length ?? -1);
        _hash.Append(length);
        if (text is not null)
        {
            _hash.Append(MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }

    /// <summary>What makes two events one row: the minute and the hash of the rest.</summary>
    internal readonly record struct Key(long Minute, UInt128 Hash);
}
