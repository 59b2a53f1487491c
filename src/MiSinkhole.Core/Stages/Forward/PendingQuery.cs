using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One query in flight on an <see cref="EncryptedConnection"/>: the key its answer comes back
/// under (the DoT message ID, or the DoH stream's ID), its question (to validate the answer) and
/// who waits.
/// </summary>
internal sealed class PendingQuery
{
    public PendingQuery(uint key, byte[] name, ushort type, ushort @class)
    {
        Key = key;
        Name = name;
        Type = type;
        Class = @class;
    }

    public uint Key { get; }

    public byte[] Name { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    /// <summary>When it was queued (<see cref="Environment.TickCount64"/>).</summary>
    public long SentAt { get; } = Environment.TickCount64;

    /// <summary>
    /// The tick after which, if nothing at all has arrived on the connection since this query was
    /// sent, the connection counts as silent (half-open) and this query fails over to a fresh one;
    /// <see cref="long.MaxValue"/> for a query on a connection opened for it.
    /// </summary>
    public long SilentAfter { get; set; } = long.MaxValue;

    /// <summary>The tick after which it has no time left: the connection fails it with a <see cref="TimeoutException"/>.</summary>
    public long Deadline { get; init; } = long.MaxValue;

    /// <summary>
    /// Made when the query was failed over for silence: its answer, should the slow connection
    /// answer after all (it is kept waiting there), so the first of the two answers wins.
    /// </summary>
    public TaskCompletionSource<DnsAnswer?>? Late { get; set; }

    /// <summary>
    /// Its answer. Continuations run where it is completed, on the connection's read loop, as an
    /// event loop would: no thread hop per answer (whoever waits must not block).
    /// </summary>
    public TaskCompletionSource<DnsAnswer?> Answer { get; } = new();

    /// <summary>DoH: the response's head arrived and was acceptable (status 200, a DNS message).</summary>
    public bool HeadAccepted { get; set; }

    /// <summary>DoH: the body so far, when it comes in more than one DATA frame (null while it is in one).</summary>
    public byte[]? Body { get; set; }

    public int BodyLength { get; set; }
}
