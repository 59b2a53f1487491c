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
/// </summary>
public sealed class DnsCache
{
    private const int ShardCount = 16;
    private readonly CacheShard[] _shards;
    private readonly TimeProvider _time;
    private readonly long _frequency;
    private readonly long _shardBytes;

    public DnsCache(CacheOptions options, TimeProvider time, IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableGauge("misinkhole.cache.entries", () => Count, description: "Answers held in the cache.");
        meter.CreateObservableGauge("misinkhole.cache.size", () => Bytes, unit: "By", description: "Heap the cached answers hold (bounded by Cache:MaxBytes).");
        _time = time;
        _frequency = time.TimestampFrequency;
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

    public int Count => _shards.Sum(s => s.Count);

    /// <summary>The heap the cached answers hold, as <see cref="CacheEntry.SizeOf"/> counts it.</summary>
    public long Bytes => _shards.Sum(s => s.Bytes);

    /// <summary>The bytes an entry for a name of <paramref name="nameLength"/> wire bytes holding <paramref name="answer"/> counts against <c>MaxBytes</c>.</summary>
    public static long EntrySize(int nameLength, DnsAnswer answer) => CacheEntry.SizeOf(nameLength, answer);

    /// <summary>The TTL bounds of <paramref name="answer"/> when stored and served: [MinTtl, MaxTtl], and for a negative answer at most <see cref="MaxNegativeTtl"/>.</summary>
    public (uint Min, uint Max) TtlBounds(DnsAnswer answer) =>
        answer.IsNegative ? (Math.Min(MinTtl, MaxNegativeTtl), MaxNegativeTtl) : (MinTtl, MaxTtl);

    public bool TryGet(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, out DnsAnswer? answer, out uint elapsedSeconds)
    {
        answer = null;
        elapsedSeconds = 0;
        if (!Enabled)
        {
            return false;
        }

        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        byte flags = CacheKey.Flags(dnssecOk, checkingDisabled);
        CacheShard shard = _shards[(int)(key >> 60)];
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
            return true;
        }
    }

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
        var entry = new CacheEntry(key, lowerName.ToArray(), type, @class, CacheKey.Flags(dnssecOk, checkingDisabled), answer, now, now + (ttl * _frequency));
        CacheShard shard = _shards[(int)(key >> 60)];
        lock (shard.Lock)
        {
            shard.Add(entry);
        }

        return true;
    }
}
