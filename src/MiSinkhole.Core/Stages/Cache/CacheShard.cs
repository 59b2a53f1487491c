namespace MiSinkhole.Core.Stages.Cache;

/// <summary>A lock, a map and an LRU list: one of the cache's independent partitions.</summary>
internal sealed class CacheShard
{
    private readonly Dictionary<ulong, CacheEntry> _entries = [];
    private readonly int _capacity;
    private CacheEntry? _head;
    private CacheEntry? _tail;

    public CacheShard(int capacity) => _capacity = capacity;

    public Lock Lock { get; } = new();

    public int Count => _entries.Count;

    /// <summary>Finds a live entry and marks it recently used; removes it when expired. Caller holds the lock.</summary>
    public CacheEntry? Find(ulong key, long now)
    {
        if (!_entries.TryGetValue(key, out CacheEntry? entry))
        {
            return null;
        }

        if (now >= entry.ExpiresAt)
        {
            Remove(entry);
            return null;
        }

        if (_head != entry)
        {
            Unlink(entry);
            PushFront(entry);
        }

        return entry;
    }

    /// <summary>Adds or replaces, evicting the least recently used entries beyond capacity. Caller holds the lock.</summary>
    public void Add(CacheEntry entry)
    {
        if (_entries.Remove(entry.Key, out CacheEntry? old))
        {
            Unlink(old);
        }

        _entries[entry.Key] = entry;
        PushFront(entry);
        while (_entries.Count > _capacity && _tail is not null)
        {
            Remove(_tail);
        }
    }

    private void Remove(CacheEntry entry)
    {
        _entries.Remove(entry.Key);
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
