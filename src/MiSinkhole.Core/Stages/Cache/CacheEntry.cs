using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>One cached answer and its place in its shard's LRU list.</summary>
internal sealed class CacheEntry
{
    public CacheEntry(ulong key, byte[] name, ushort type, ushort @class, byte flags, DnsAnswer answer, long storedAt, long expiresAt)
    {
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

    public byte[] Name { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    public byte Flags { get; }

    public DnsAnswer Answer { get; }

    public long StoredAt { get; }

    public long ExpiresAt { get; }

    public CacheEntry? Previous { get; set; }

    public CacheEntry? Next { get; set; }

    public bool Matches(ReadOnlySpan<byte> name, ushort type, ushort @class, byte flags) =>
        Type == type && Class == @class && Flags == flags && name.SequenceEqual(Name);
}
