using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// Answers by (name, type, class, DO, CD): positive answers for their smallest TTL, NXDOMAIN and
/// NODATA for the SOA's negative TTL (RFC 2308) but at most <c>MaxNegativeTtl</c>, every TTL
/// clamped to [MinTtl, MaxTtl]. Bounded by entries and by bytes (<c>MaxEntries</c>,
/// <c>MaxBytes</c>, each split over 16 shards): a shard evicts its least recently used entries
/// while over either, and an answer too large for a shard's share is not kept. A hit copies the
/// stored wire answer with TTLs counted down; lookups allocate nothing.
/// With <c>ServeStale</c> an expired entry stays (still counted against both bounds, still in the
/// LRU order) for <c>StaleMaxAge</c>, for <see cref="FindStale"/> when no upstream answers in time
/// (RFC 8767). With <c>Prefetch</c> every hit is counted, and a hit on a popular entry in the last
/// tenth of its TTL says it is due for a background refresh (<see cref="CacheRefresher"/>).
/// </summary>
public sealed class DnsCache
{
    /// <summary>Hits within the last hour that make a name popular enough to prefetch.</summary>
    public const int PopularHits = 3;

    /// <summary>After a failed refresh, how long an expired entry is served stale at once instead of after the client wait (RFC 8767 §5's failure recheck timer, 30 s).</summary>
    public static readonly TimeSpan FailureRecheck = TimeSpan.FromSeconds(30);

    private const int ShardCount = 16;
    private readonly CacheShard[] _shards;
    private readonly TimeProvider _time;
    private readonly long _frequency;
    private readonly long _shardBytes;
    private readonly long _staleTicks;
    private readonly long _hourTicks;
    private readonly Counter<long> _staleAnswers;

    public DnsCache(CacheOptions options, TimeProvider time, IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableGauge("misinkhole.cache.entries", () => Count, description: "Answers held in the cache.");
        meter.CreateObservableGauge("misinkhole.cache.size", () => Bytes, unit: "By", description: "Heap the cached answers hold (bounded by Cache:MaxBytes).");
        _staleAnswers = meter.CreateCounter<long>("misinkhole.cache.stale_answers", description: "Expired answers served stale (RFC 8767), by reason: every upstream failed, or none answered within the client wait.");
        _time = time;
        _frequency = time.TimestampFrequency;
        ServeStale = options.ServeStale;
        StaleTtl = (uint)options.StaleTtl.TotalSeconds;
        _staleTicks = options.ServeStale ? (long)(options.StaleMaxAge.TotalSeconds * _frequency) : 0;
        Prefetch = options.Prefetch;
        _hourTicks = 3600 * _frequency;
        MinTtl = (uint)options.MinTtl.TotalSeconds;
        MaxTtl = (uint)Math.Min(options.MaxTtl.TotalSeconds, int.MaxValue);
        MaxNegativeTtl = Math.Min(MaxTtl, (uint)Math.Min(options.MaxNegativeTtl.TotalSeconds, int.MaxValue));
        Enabled = options.MaxEntries > 0 && options.MaxBytes > 0;
        int perShard = Math.Max(1, (options.MaxEntries + ShardCount - 1) / ShardCount);
        _shardBytes = Math.Max(1, options.MaxBytes / ShardCount);
        _shards = [.. Enumerable.Range(0, ShardCount).Select(_ => new CacheShard(perShard, _shardBytes))];
    }

    public uint MinTtl { get; }

    public uint MaxTtl { get; }

    /// <summary>The most a negative answer (NXDOMAIN, NODATA) is kept and its TTLs served: <c>MaxNegativeTtl</c>, within <see cref="MaxTtl"/>.</summary>
    public uint MaxNegativeTtl { get; }

    public bool Enabled { get; }

    /// <summary><c>Cache:ServeStale</c>: expired entries are kept for <c>StaleMaxAge</c> and served when upstreams fail.</summary>
    public bool ServeStale { get; }

    /// <summary><c>Cache:StaleTtl</c> in seconds: the TTL of every record in a stale answer.</summary>
    public uint StaleTtl { get; }

    /// <summary><c>Cache:Prefetch</c>: hits are counted and popular entries refreshed before they expire.</summary>
    public bool Prefetch { get; }

    /// <summary>The clock the entries' ages are read from (also for the forwarder's client wait).</summary>
    internal TimeProvider Time => _time;

    public int Count => _shards.Sum(s => s.Count);

    /// <summary>The heap the cached answers hold, as <see cref="CacheEntry.SizeOf"/> counts it.</summary>
    public long Bytes => _shards.Sum(s => s.Bytes);

    /// <summary>The bytes an entry for a name of <paramref name="nameLength"/> wire bytes holding <paramref name="answer"/> counts against <c>MaxBytes</c>.</summary>
    public static long EntrySize(int nameLength, DnsAnswer answer) => CacheEntry.SizeOf(nameLength, answer);

    /// <summary>The TTL bounds of <paramref name="answer"/> when stored and served: [MinTtl, MaxTtl], and for a negative answer at most <see cref="MaxNegativeTtl"/>.</summary>
    public (uint Min, uint Max) TtlBounds(DnsAnswer answer) =>
        answer.IsNegative ? (Math.Min(MinTtl, MaxNegativeTtl), MaxNegativeTtl) : (MinTtl, MaxTtl);

    public bool TryGet(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, out DnsAnswer? answer, out uint elapsedSeconds) =>
        TryGet(lowerName, type, @class, dnssecOk, checkingDisabled, out answer, out elapsedSeconds, out _);

    /// <summary>
    /// A live entry's answer and its age; <paramref name="prefetch"/> is true (once per entry) when
    /// this hit finds a popular entry in the last tenth of its TTL, so the caller should refresh it.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, out DnsAnswer? answer, out uint elapsedSeconds, out bool prefetch)
    {
        answer = null;
        elapsedSeconds = 0;
        prefetch = false;
        if (!Enabled)
        {
            return false;
        }

        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        byte flags = CacheKey.Flags(dnssecOk, checkingDisabled);
        CacheShard shard = ShardOf(key);
        long now = _time.GetTimestamp();
        lock (shard.Lock)
        {
            CacheEntry? entry = shard.Find(key, now);
            if (entry is null || !entry.Matches(lowerName, type, @class, flags))
            {
                return false;
            }

            answer = entry.Answer;
            elapsedSeconds = (uint)((now - entry.StoredAt) / _frequency);
            prefetch = Prefetch && entry.Hit(now, _hourTicks, PopularHits);
            return true;
        }
    }

    /// <summary>
    /// A prefetch the hit asked for could not start (the refresher was busy): the
    /// entry may ask again at its next hit, so a popular name is not left to expire into a miss.
    /// </summary>
    internal void PrefetchNotStarted(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        byte flags = CacheKey.Flags(dnssecOk, checkingDisabled);
        CacheShard shard = ShardOf(key);
        lock (shard.Lock)
        {
            CacheEntry? entry = shard.Find(key, _time.GetTimestamp());
            if (entry is not null && entry.Matches(lowerName, type, @class, flags))
            {
                entry.PrefetchNotStarted();
            }
        }
    }

    /// <summary>
    /// The entry for this question that may be served stale (expired less than <c>StaleMaxAge</c>
    /// ago, or refreshed since); null without one or without <c>ServeStale</c>. Marks it recently used.
    /// </summary>
    internal CacheEntry? FindStale(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        if (!Enabled || !ServeStale)
        {
            return null;
        }

        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        byte flags = CacheKey.Flags(dnssecOk, checkingDisabled);
        CacheShard shard = ShardOf(key);
        long now = _time.GetTimestamp();
        lock (shard.Lock)
        {
            CacheEntry? entry = shard.FindStale(key, now);
            return entry is not null && entry.Matches(lowerName, type, @class, flags) ? entry : null;
        }
    }

    /// <summary>Whether a refresh of <paramref name="entry"/> failed less than <see cref="FailureRecheck"/> ago.</summary>
    internal bool FailedRecently(CacheEntry entry)
    {
        CacheShard shard = ShardOf(entry.Key);
        long now = _time.GetTimestamp();
        lock (shard.Lock)
        {
            return now < entry.FailedUntil;
        }
    }

    /// <summary>A refresh of <paramref name="entry"/> failed: serve it stale at once for <see cref="FailureRecheck"/>.</summary>
    internal void RefreshFailed(CacheEntry entry)
    {
        CacheShard shard = ShardOf(entry.Key);
        long until = _time.GetTimestamp() + (long)(FailureRecheck.TotalSeconds * _frequency);
        lock (shard.Lock)
        {
            entry.FailedUntil = until;
        }
    }

    /// <summary>Counts a stale answer served: <paramref name="timedOut"/> when no upstream answered within the client wait, else every upstream failed.</summary>
    internal void CountStale(bool timedOut) =>
        _staleAnswers.Add(1, new KeyValuePair<string, object?>("reason", timedOut ? "timeout" : "failed"));

    /// <summary>Stores an answer if it is cacheable (see <see cref="DnsAnswer.CacheTtl"/>).</summary>
    public bool Set(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, DnsAnswer answer)
    {
        if (!Enabled || answer.CacheTtl is not uint ttl)
        {
            return false;
        }

        (uint min, uint max) = TtlBounds(answer);
        ttl = Math.Clamp(ttl, min, max);
        if (ttl == 0 || CacheEntry.SizeOf(lowerName.Length, answer) > _shardBytes)
        {
            return false;
        }

        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        long now = _time.GetTimestamp();
        long expires = now + (ttl * _frequency);
        var entry = new CacheEntry(key, lowerName.ToArray(), type, @class, CacheKey.Flags(dnssecOk, checkingDisabled), answer, now, expires, expires + _staleTicks);
        CacheShard shard = ShardOf(key);
        lock (shard.Lock)
        {
            shard.Add(entry);
        }

        return true;
    }

    /// <summary>The shard a key lives in: its top 4 bits.</summary>
    private CacheShard ShardOf(ulong key) => _shards[(int)(key >> 60)];
}
