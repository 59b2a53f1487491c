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

    public TaskCompletionSource<DnsAnswer?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
