namespace MiSinkhole.Core.Stages.Cache;

/// <summary>A lock, a map and an LRU list: one of the cache's independent partitions, bounded by entries and by bytes.</summary>
internal sealed class CacheShard
{
    private readonly Dictionary<ulong, CacheEntry> _entries = [];
    private readonly int _capacity;
    private readonly long _maxBytes;
    private CacheEntry? _head;
    private CacheEntry? _tail;
    private long _bytes;

    public CacheShard(int capacity, long maxBytes)
    {
        _capacity = capacity;
        _maxBytes = maxBytes;
    }

    public Lock Lock { get; } = new();

    public int Count => _entries.Count;

    /// <summary>The bytes its entries hold (<see cref="CacheEntry.Bytes"/>); read without the lock.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>
    /// Finds a live entry and marks it recently used. An expired one is not found; it stays (for
    /// <see cref="FindStale"/>) until past <see cref="CacheEntry.StaleUntil"/>, then it is removed. Caller holds the lock.
    /// </summary>
    public CacheEntry? Find(ulong key, long now)
    {
        if (!_entries.TryGetValue(key, out CacheEntry? entry))
        {
            return null;
        }

        if (now >= entry.ExpiresAt)
        {
            if (now >= entry.StaleUntil)
            {
                Remove(entry);
            }

            return null;
        }

        Touch(entry);
        return entry;
    }

    /// <summary>Finds an entry that may still be served stale (expired or not) and marks it recently used. Caller holds the lock.</summary>
    public CacheEntry? FindStale(ulong key, long now)
    {
        if (!_entries.TryGetValue(key, out CacheEntry? entry))
        {
            return null;
        }

        if (now >= entry.StaleUntil)
        {
            Remove(entry);
            return null;
        }

        Touch(entry);
        return entry;
    }

    /// <summary>Adds or replaces, evicting the least recently used entries beyond either bound. Caller holds the lock.</summary>
    public void Add(CacheEntry entry)
    {
        if (_entries.TryGetValue(entry.Key, out CacheEntry? old))
        {
            if (old.Matches(entry.Name, entry.Type, entry.Class, entry.Flags))
            {
                entry.TakeHits(old);
            }

            Remove(old);
        }

        _entries[entry.Key] = entry;
        Volatile.Write(ref _bytes, _bytes + entry.Bytes);
        PushFront(entry);
        while ((_entries.Count > _capacity || _bytes > _maxBytes) && _tail is not null)
        {
            Remove(_tail);
        }
    }

    private void Touch(CacheEntry entry)
    {
        if (_head != entry)
        {
            Unlink(entry);
            PushFront(entry);
        }
    }

    private void Remove(CacheEntry entry)
    {
        _entries.Remove(entry.Key);
        Volatile.Write(ref _bytes, _bytes - entry.Bytes);
        Unlink(entry);
    }

    private void PushFront(CacheEntry entry)
    {
        entry.Previous = null;
        entry.Next = _head;
        if (_head is not null)
        {
            _head.Previous = entry;
        }

        _head = entry;
        _tail ??= entry;
    }

    private void Unlink(CacheEntry entry)
    {
        if (entry.Previous is not null)
        {
            entry.Previous.Next = entry.Next;
        }
        else if (_head == entry)
        {
            _head = entry.Next;
        }

        if (entry.Next is not null)
        {
            entry.Next.Previous = entry.Previous;
        }
        else if (_tail == entry)
        {
            _tail = entry.Previous;
        }

        entry.Previous = null;
        entry.Next = null;
    }
}
