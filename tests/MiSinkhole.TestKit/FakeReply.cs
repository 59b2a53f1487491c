namespace MiSinkhole.TestKit;

/// <summary>
/// What the fake upstream does with a query: send these bytes (after a delay), or nothing.
/// <paramref name="Before"/> are extra datagrams sent first from the same socket (UDP only).
/// </summary>
public sealed record FakeReply(byte[]? Bytes, TimeSpan Delay = default, IReadOnlyList<byte[]>? Before = null)
{
    public static FakeReply Drop { get; } = new((byte[]?)null);

    public static implicit operator FakeReply(byte[] bytes) => new(bytes);
}
