using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>One query in flight on a <see cref="DotConnection"/>: its ID, its question (to validate the answer) and who waits.</summary>
internal sealed class DotPending
{
    public DotPending(ushort id, byte[] name, ushort type, ushort @class)
    {
        Id = id;
        Name = name;
        Type = type;
        Class = @class;
    }

    public ushort Id { get; }

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

    /// <summary>
    /// Made when the query was failed over for silence: its answer, should the slow connection
    /// answer after all (it is kept waiting there), so the first of the two answers wins.
    /// </summary>
    public TaskCompletionSource<DnsAnswer?>? Late { get; set; }

    public TaskCompletionSource<DnsAnswer?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
