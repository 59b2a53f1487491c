using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// The live, thread-safe state of one inventory client. Counting a query touches two fields
/// without a lock; a rule match takes the entry's lock (matches are a small share of queries).
/// Times are milliseconds on a monotonic clock, turned into dates only when read.
/// </summary>
internal sealed class InventoryEntry
{
    /// <summary>Names remembered per client; beyond that only the per-list counts grow.</summary>
    public const int MaxMatchedNames = 256;

    /// <summary>Unclassified names remembered per client; beyond that the least recently seen one makes room.</summary>
    public const int MaxUnclassifiedNames = 256;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long[]> _categories = [];
    private readonly Dictionary<ulong, MatchStat> _matches = [];
    private readonly Dictionary<ulong, UnclassifiedStat> _unclassified = [];
    private volatile int _unclassifiedCount;
    private long _queries;
    private long _rateLimited;
    private long _lastSeen;
    private ClientAddress _lastAddress;
    private ClientAddress? _lastForwarder;
    private volatile bool _dirty = true;

    public InventoryEntry(string key, string? device, long now, ulong mac)
    {
        Key = key;
        Device = device;
        FirstSeen = now;
        _lastSeen = now;
        Mac = mac;
    }

    public string Key { get; }

    public string? Device { get; }

    /// <summary>The MAC address the neighbour table gave when the client was first seen; 0: unknown.</summary>
    public ulong Mac { get; private set; }

    public long FirstSeen { get; set; }

    public long LastSeen => Volatile.Read(ref _lastSeen);

    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Queries the <c>RateLimit</c> section turned away (over the rate, or over the upstream share).</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Counts a query the <c>RateLimit</c> section turned away.</summary>
    public void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    public ClientAddress LastAddress
    {
        get
        {
            lock (_lock)
            {
                return _lastAddress;
            }
        }
    }

    public long? XiaomiSince { get; private set; }

    public string? AutoPolicy { get; private set; }

    public long? AutoPolicyApplied { get; private set; }

    /// <summary>Set when something changed since the last save.</summary>
    public bool Dirty
    {
        get => _dirty;
        set => _dirty = value;
    }

    /// <summary>A client restored by its token is seen again: the MAC address the neighbour table gives now, when it has none.</summary>
    public void SeenAgain(ulong mac)
    {
        lock (_lock)
        {
            if (Mac == 0)
            {
                Mac = mac;
            }
        }
    }

    /// <summary>Counts a query. Shared fields are written only when their value changes.</summary>
    public void Touch(long now, in ClientAddress address, ClientAddress? forwarder = null)
    {
        Interlocked.Increment(ref _queries);
        if (Volatile.Read(ref _lastSeen) != now)
        {
            Volatile.Write(ref _lastSeen, now);
        }

        if (!_dirty)
        {
            _dirty = true;
        }

        // Compared without the lock (a torn read only costs an extra locked write), written under it.
        if (_lastAddress.Bits != address.Bits || _lastAddress.IsIPv4 != address.IsIPv4 || _lastForwarder != forwarder)
        {
            lock (_lock)
            {
                _lastAddress = address with { Port = 0 };
                _lastForwarder = forwarder;
            }
        }
    }

    /// <summary>The trusted forwarder the client's last query came through (which named it); null: it asked directly.</summary>
    public ClientAddress? LastForwarder
    {
        get
        {
            lock (_lock)
            {
                return _lastForwarder;
            }
        }
    }

    /// <summary>
    /// Counts a policy match of <paramref name="list"/>; for blocked and logged ones also the name,
    /// with its rule (looked up in <paramref name="rules"/> the first time the name is seen).
    /// </summary>
    /// <returns>True when this match made the client a probable Xiaomi device.</returns>
    public bool RecordMatch(string list, PolicyAction action, ReadOnlySpan<byte> wireName, ushort type,
        global::MiSinkhole.Core.Configuration.ConfigSnapshot rules, long now)
    {
        lock (_lock)
        {
            _dirty = true;
            if (!_categories.TryGetValue(list, out long[]? counts))
            {
                _categories[list] = counts = new long[3];
            }

            counts[action switch { PolicyAction.Blocked => 0, PolicyAction.Logged => 1, _ => 2 }]++;
            if (action is not (PolicyAction.Blocked or PolicyAction.Logged))
            {
                return false;
            }

            ulong key = MatchKey(wireName, action, list);
            if (!_matches.TryGetValue(key, out MatchStat? stat) && _matches.Count < MaxMatchedNames)
            {
                string? rule = rules.RuleText(wireName, type, list);
                _matches[key] = stat = new MatchStat(global::MiSinkhole.Dns.DnsName.ToText(wireName), list, rule, action);
            }

            if (stat is not null)
            {
                stat.Count++;
                stat.LastSeen = now;
            }

            if (XiaomiSince is null && DeviceInventory.IsXiaomiList(list))
            {
                XiaomiSince = now;
                return true;
            }

            return false;
        }
    }

    /// <summary>Whether the client has asked for any unclassified name (read without the lock).</summary>
    public bool HasUnclassified => _unclassifiedCount > 0;

    /// <summary>
    /// Counts a query for an unclassified Xiaomi name (found under the zone list <paramref name="list"/>);
    /// a name not seen before is remembered with its first-seen time, and when
    /// <see cref="MaxUnclassifiedNames"/> are, the least recently seen one is forgotten.
    /// </summary>
    public void RecordUnclassified(ReadOnlySpan<byte> wireName, string list, long now)
    {
        ulong key = Hash(wireName);
        lock (_lock)
        {
            _dirty = true;
            if (!_unclassified.TryGetValue(key, out UnclassifiedStat? stat))
            {
                if (_unclassified.Count >= MaxUnclassifiedNames)
                {
                    _unclassified.Remove(_unclassified.MinBy(u => u.Value.LastSeen).Key);
                }

                _unclassified[key] = stat = new UnclassifiedStat(global::MiSinkhole.Dns.DnsName.ToText(wireName), list, now);
                _unclassifiedCount = _unclassified.Count;
            }
            else if (!ReferenceEquals(stat.List, list))
            {
                stat.List = list;
            }

            stat.Count++;
            stat.LastSeen = now;
        }
    }

    /// <summary>The unclassified names, newest first.</summary>
    public IReadOnlyList<UnclassifiedName> Unclassified(Func<long, DateTimeOffset> date)
    {
        lock (_lock)
        {
            return UnclassifiedLocked(date);
        }
    }

    /// <summary>Notes that <c>Devices:AutoPolicy</c> (<paramref name="policy"/>) applies to this client now.</summary>
    public void NoteAutoPolicy(string policy, long now)
    {
        if (ReferenceEquals(AutoPolicy, policy))
        {
            return;
        }

        lock (_lock)
        {
            AutoPolicy = policy;
            AutoPolicyApplied ??= now;
            _dirty = true;
        }
    }

    /// <summary>Restores what a saved record says (at start, before any query).</summary>
    public void Restore(InventoryRecord record, Func<DateTimeOffset, long> timestamp)
    {
        lock (_lock)
        {
            _queries = record.Queries;
            _rateLimited = record.RateLimited;
            _lastSeen = timestamp(record.LastSeen);
            FirstSeen = timestamp(record.FirstSeen);
            if (record.Address is string address && System.Net.IPAddress.TryParse(address, out System.Net.IPAddress? ip))
            {
                _lastAddress = ClientAddress.FromIPAddress(ip);
            }

            foreach ((string list, CategoryCounts counts) in record.Categories)
            {
                _categories[list] = [counts.Blocked, counts.Logged, counts.Allowed];
            }

            Span<byte> wire = stackalloc byte[global::MiSinkhole.Dns.DnsConstants.MaxNameLength];
            foreach (MatchRecord match in record.Matches.Take(MaxMatchedNames))
            {
                if (global::MiSinkhole.Dns.DnsName.TryFromText(match.Name, wire, out int length))
                {
                    ulong key = MatchKey(wire[..length], match.Action, match.List);
                    _matches[key] = new MatchStat(match.Name, match.List, match.Rule, match.Action) { Count = match.Count, LastSeen = timestamp(match.LastSeen) };
                }
            }

            foreach (UnclassifiedName name in record.Unclassified.OrderByDescending(u => u.LastSeen).Take(MaxUnclassifiedNames))
            {
                if (global::MiSinkhole.Dns.DnsName.TryFromText(name.Name, wire, out int length))
                {
                    _unclassified[Hash(wire[..length])] = new UnclassifiedStat(name.Name, name.List, timestamp(name.FirstSeen)) { Count = name.Count, LastSeen = timestamp(name.LastSeen) };
                }
            }

            _unclassifiedCount = _unclassified.Count;
            if (Mac == 0 && record.Mac is string mac && global::MiSinkhole.Core.Devices.MacAddress.TryParse(mac, out global::MiSinkhole.Core.Devices.MacAddress parsed))
            {
                Mac = parsed.Value;
            }

            XiaomiSince = record.XiaomiSince is { } since ? timestamp(since) : null;
            AutoPolicy = record.AutoPolicy;
            AutoPolicyApplied = record.AutoPolicyApplied is { } applied ? timestamp(applied) : null;
            _dirty = false;
        }
    }

    public InventoryRecord ToRecord(Func<long, DateTimeOffset> date, string? hostName)
    {
        lock (_lock)
        {
            return new InventoryRecord
            {
                Key = Key,
                Device = Device,
                Address = _lastAddress == default ? null : _lastAddress.ToString(),
                Forwarder = _lastForwarder?.ToString(),
                Mac = Mac == 0 ? null : new global::MiSinkhole.Core.Devices.MacAddress(Mac).ToString(),
                HostName = hostName,
                FirstSeen = date(FirstSeen),
                LastSeen = date(LastSeen),
                Queries = Queries,
                RateLimited = RateLimited,
                Categories = _categories.ToDictionary(c => c.Key, c => new CategoryCounts(c.Value[0], c.Value[1], c.Value[2])),
                XiaomiSince = XiaomiSince is { } since ? date(since) : null,
                Matches = [.. _matches.Values.OrderByDescending(m => m.Count).ThenBy(m => m.Name, StringComparer.Ordinal)
                    .Select(m => new MatchRecord(m.Name, m.List, m.Rule, m.Action, m.Count, date(m.LastSeen)))],
                AutoPolicy = AutoPolicy,
                AutoPolicyApplied = AutoPolicyApplied is { } applied ? date(applied) : null,
                Unclassified = UnclassifiedLocked(date),
            };
        }
    }

    private UnclassifiedName[] UnclassifiedLocked(Func<long, DateTimeOffset> date) =>
        [.. _unclassified.Values.OrderByDescending(u => u.LastSeen).ThenBy(u => u.Name, StringComparer.Ordinal)
            .Select(u => new UnclassifiedName(u.Name, u.List, u.Count, date(u.FirstSeen), date(u.LastSeen)))];

    /// <summary>One counter per (name, action, list).</summary>
    private static ulong MatchKey(ReadOnlySpan<byte> lowerWireName, PolicyAction action, string list) =>
        Hash(lowerWireName) ^ (ulong)action ^ ((ulong)(uint)list.GetHashCode(StringComparison.Ordinal) << 32);

    public static ulong Hash(ReadOnlySpan<byte> lowerWireName)
    {
        ulong hash = System.IO.Hashing.XxHash3.HashToUInt64(lowerWireName);
        return hash == 0 ? 1 : hash;
    }
}
