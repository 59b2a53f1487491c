using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// Answers by (name, type, class, DO, CD): positive answers for their smallest TTL, NXDOMAIN and
/// NODATA for the SOA's negative TTL (RFC 2308), every TTL clamped to [MinTtl, MaxTtl]. Bounded:
/// 16 shards, each evicting its least recently used entry. A hit copies the stored wire answer
/// with TTLs counted down; lookups allocate nothing.
/// </summary>
public sealed class DnsCache
{
    private const int ShardCount = 16;
    private readonly CacheShard[] _shards;
    private readonly TimeProvider _time;
    private readonly long _frequency;

    public DnsCache(CacheOptions options, TimeProvider time, IMeterFactory meterFactory)
    {
        meterFactory.Create(SinkholeMeter.Name).CreateObservableGauge("misinkhole.cache.entries", () => Count, description: "Answers held in the cache.");
        _time = time;
        _frequency = time.TimestampFrequency;
        MinTtl = (uint)options.MinTtl.TotalSeconds;
        MaxTtl = (uint)Math.Min(options.MaxTtl.TotalSeconds, int.MaxValue);
        Enabled = options.MaxEntries > 0;
        int perShard = Math.Max(1, (options.MaxEntries + ShardCount - 1) / ShardCount);
        _shards = [.. Enumerable.Range(0, ShardCount).Select(_ => new CacheShard(perShard))];
    }

    public uint MinTtl { get; }

    public uint MaxTtl { get; }

    public bool Enabled { get; }

    public int Count => _shards.Sum(s => s.Count);

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

        ttl = Math.Clamp(ttl, MinTtl, MaxTtl);
        if (ttl == 0)
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
