using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// An upstream exchange that identical queries arriving meanwhile wait on. Continuations run
/// inline on the thread that completes it (the socket engine's), saving a thread-pool hop per
/// forwarded query; what runs there only writes and sends an answer, it never blocks.
/// </summary>
internal sealed class InFlight
{
    private readonly TaskCompletionSource<DnsAnswer?> _completion = new(TaskCreationOptions.None);

    public InFlight(byte[] name, ushort type, ushort @class, byte flags)
    {
        Name = name;
        Type = type;
        Class = @class;
        Flags = flags;
    }

    public byte[] Name { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    public byte Flags { get; }

    public Task<DnsAnswer?> Task => _completion.Task;

    public bool Matches(ReadOnlySpan<byte> name, ushort type, ushort @class, byte flags) =>
        Type == type && Class == @class && Flags == flags && name.SequenceEqual(Name);

    public void Complete(DnsAnswer? answer) => _completion.TrySetResult(answer);
}
