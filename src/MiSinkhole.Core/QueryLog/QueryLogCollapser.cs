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
/// A key is the minute and a 128-bit XxHash of the rest, not the fields themselves: no reference
/// to a name string (a table of names written with new ones all the time was for the GC to scan
/// at every young collection). Two different queries sharing a hash within a minute (about
/// 2^-100 at a full table) would share a row. The table is one array of slots (open addressing,
/// linear probing; the minute is the table's, not each slot's): a small one, and the full one
/// once a minute is busy, each made once and cleared, never regrown (a dictionary sized for a
/// flood held 5 MB of the large-object heap for good, and grew through garbage arrays to get there).
/// Used by the writer's thread only.
/// </summary>
internal sealed class QueryLogCollapser
{
    /// <summary>Rows remembered at most (one minute's distinct queries on a busy network).</summary>
    public const int MaxRows = 16_384;

    /// <summary>Slots of the table a quiet minute uses (half of them rows at most).</summary>
    private const int SmallSlots = 1024;

    /// <summary>A slot's id when its row is gone: its key stays, so the probe chains through it.</summary>
    private const long Forgotten = -1;

    private readonly XxHash128 _hash = new();
    private Slot[] _slots = new Slot[SmallSlots];
    private int _count;
    private long _minute;

    /// <summary>Rows remembered for the current minute.</summary>
    public int Count => _count;

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
        UInt128 hash = _hash.GetCurrentHashAsUInt128();
        return new Key(e.UnixMilliseconds / 60_000, hash == UInt128.Zero ? UInt128.One : hash); // zero marks an empty slot
    }

    /// <summary>The id of this minute's row for <paramref name="key"/>, if one was written.</summary>
    public bool TryGetRow(in Key key, out long id)
    {
        id = 0;
        if (key.Minute != _minute || _count == 0)
        {
            return false;
        }

        ref Slot slot = ref Find(_slots, key.Hash);
        if (slot.Hash != key.Hash || slot.Id == Forgotten)
        {
            return false;
        }

        id = slot.Id;
        return true;
    }

    /// <summary>Remembers the row written for <paramref name="key"/>; a later minute forgets the earlier ones first.</summary>
    public void Remember(in Key key, long id)
    {
        if (key.Minute > _minute)
        {
            if (_count > 0)
            {
                Array.Clear(_slots);
                _count = 0;
            }

            _minute = key.Minute;
        }

        if (key.Minute != _minute)
        {
            return; // a late event of a minute already forgotten
        }

        ref Slot slot = ref Find(_slots, key.Hash);
        if (slot.Hash == key.Hash)
        {
            slot.Id = id;
            return;
        }

        if (_count == MaxRows)
        {
            return;
        }

        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
            slot = ref Find(_slots, key.Hash);
        }

        slot = new Slot(key.Hash, id);
        _count++;
    }

    /// <summary>Forgets a row that is gone (deleted by the retention or the disk budget).</summary>
    public void Forget(in Key key)
    {
        if (key.Minute != _minute || _count == 0)
        {
            return;
        }

        ref Slot slot = ref Find(_slots, key.Hash);
        if (slot.Hash == key.Hash)
        {
            slot.Id = Forgotten;
        }
    }

    /// <summary>The slot holding <paramref name="hash"/>, or the empty one where it would go (the table is never full).</summary>
    private static ref Slot Find(Slot[] slots, UInt128 hash)
    {
        int mask = slots.Length - 1;
        int i = (int)(ulong)hash & mask;
        while (slots[i].Hash != UInt128.Zero && slots[i].Hash != hash)
        {
            i = (i + 1) & mask;
        }

        return ref slots[i];
    }

    /// <summary>A busy minute: straight to the table for <see cref="MaxRows"/> (at most half full), kept from then on.</summary>
    private void Grow()
    {
        var slots = new Slot[MaxRows * 2];
        foreach (Slot old in _slots)
        {
            if (old.Hash != UInt128.Zero)
            {
                Find(slots, old.Hash) = old;
            }
        }

        _slots = slots;
    }

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

    /// <summary>What makes two events one row: the minute and the hash of the rest (never zero).</summary>
    internal readonly record struct Key(long Minute, UInt128 Hash);

    /// <summary>One remembered row: its key's hash (zero: empty) and its id (<see cref="Forgotten"/>: gone).</summary>
    private record struct Slot(UInt128 Hash, long Id);
}
