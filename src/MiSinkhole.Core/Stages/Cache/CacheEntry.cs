using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// One cached answer, what it takes of the heap, and its place in its shard's LRU list; past its
/// TTL it may still be served stale until <see cref="StaleUntil"/>. It counts its hits (for
/// prefetch) in two hourly windows. Its mutable state is written under its shard's lock.
/// </summary>
internal sealed class CacheEntry
{
    /// <summary>
    /// What every entry takes besides its byte arrays' contents (64-bit runtime): this object
    /// (120 B), the <see cref="DnsAnswer"/> (72 B), the headers of its name, message, TTL-offset
    /// and TTL arrays and of the CNAME-target array (24 B each), and its slot in the shard's map
    /// (24 B, doubled for the map's spare room).
    /// </summary>
    internal const int Overhead = 120 + 72 + (5 * 24) + (2 * 24);

    public CacheEntry(ulong key, byte[] name, ushort type, ushort @class, byte flags, DnsAnswer answer, long storedAt, long expiresAt, long staleUntil)
    {
        StaleUntil = staleUntil;
        WindowStart = storedAt;
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

    /// <summary>Until when the entry may be served stale (<see cref="ExpiresAt"/> without serve-stale); after that it is removed when found.</summary>
    public long StaleUntil { get; }

    /// <summary>A refresh of the expired entry failed: until then it is served stale at once, without waiting on upstreams (RFC 8767's failure recheck).</summary>
    public long FailedUntil { get; set; }

    /// <summary>Cache hits in the hourly window that began at <see cref="WindowStart"/>.</summary>
    public int Hits { get; private set; }

    /// <summary>Cache hits in the window before.</summary>
    public int EarlierHits { get; private set; }

    public long WindowStart { get; private set; }

    /// <summary>A prefetch was started for this entry (at most one per entry: its refresh is a new entry).</summary>
    public bool Prefetched { get; private set; }

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

    /// <summary>Takes over the hit counts of the entry it replaces (a refreshed answer stays as popular as it was).</summary>
    public void TakeHits(CacheEntry old)
    {
        Hits = old.Hits;
        EarlierHits = old.EarlierHits;
        WindowStart = old.WindowStart;
    }

    /// <summary>
    /// Counts a hit at <paramref name="now"/>; true (once per entry) when the entry is due for a
    /// prefetch: at least <paramref name="popularHits"/> hits in the last <paramref name="window"/>
    /// (this window's hits plus the earlier window's share still inside it) and within the last
    /// tenth of its TTL.
    /// </summary>
    public bool Hit(long now, long window, int popularHits)
    {
        long age = now - WindowStart;
        if (age >= window)
        {
            EarlierHits = age < 2 * window ? Hits : 0;
            Hits = 0;
            WindowStart = now;
            age = 0;
        }

        Hits++;
        if (Prefetched || (ExpiresAt - now) * 10 > ExpiresAt - StoredAt
            || Hits + (EarlierHits * ((double)(window - age) / window)) < popularHits)
        {
            return false;
        }

        Prefetched = true;
        return true;
    }

    /// <summary>The prefetch this entry's <see cref="Hit"/> asked for did not start: a later hit may ask again. Caller holds the shard's lock.</summary>
    public void PrefetchNotStarted() => Prefetched = false;

    public bool Matches(ReadOnlySpan<byte> name, ushort type, ushort @class, byte flags) =>
        Type == type && Class == @class && Flags == flags && name.SequenceEqual(Name);

    private static long Align(int length) => (length + 7) & ~7L;
}
