using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>One cached answer, what it takes of the heap, and its place in its shard's LRU list.</summary>
internal sealed class CacheEntry
{
    /// <summary>
    /// What every entry takes besides its byte arrays' contents (64-bit runtime): this object
    /// (88 B), the <see cref="DnsAnswer"/> (72 B), the headers of its name, message, TTL-offset
    /// and TTL arrays and of the CNAME-target array (24 B each), and its slot in the shard's map
    /// (24 B, doubled for the map's spare room).
    /// </summary>
    internal const int Overhead = 88 + 72 + (5 * 24) + (2 * 24);

    public CacheEntry(ulong key, byte[] name, ushort type, ushort @class, byte flags, DnsAnswer answer, long storedAt, long expiresAt)
    {
        Bytes = SizeOf(name.Length, answer);
        Key = key;
        Name = name;
        Type = type;
        Class = @class;
        Flags = flags;
        Answer = answer;
        StoredAt = storedAt;
        ExpiresAt = expiresAt;
    }

    public ulong Key { get; }

    /// <summary>The heap this entry holds (an estimate from its parts; see <see cref="SizeOf"/>).</summary>
    public long Bytes { get; }

    public byte[] Name { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    public byte Flags { get; }

    public DnsAnswer Answer { get; }

    public long StoredAt { get; }

    public long ExpiresAt { get; }

    public CacheEntry? Previous { get; set; }

    public CacheEntry? Next { get; set; }

    /// <summary>Bytes an entry for a name of <paramref name="nameLength"/> bytes holding <paramref name="answer"/> takes.</summary>
    public static long SizeOf(int nameLength, DnsAnswer answer)
    {
        long bytes = Overhead + Align(nameLength) + Align(answer.Message.Length) + (2 * Align(4 * answer.Ttls.Length)) + (8 * answer.CnameTargets.Length);
        foreach (byte[] target in answer.CnameTargets)
        {
            bytes += 24 + Align(target.Length);
        }

        return bytes;
    }

    public bool Matches(ReadOnlySpan<byte> name, ushort type, ushort @class, byte flags) =>
        Type == type && Class == @class && Flags == flags && name.SequenceEqual(Name);

    private static long Align(int length) => (length + 7) & ~7L;
}
