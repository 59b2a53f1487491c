using System.Collections.Concurrent;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// Every client the daemon has served: configured devices by name, other clients by MAC (when
/// the neighbour table knows it) or address. Per client: first and last seen, queries, and per
/// list how many queries it blocked, logged and allowed. A client that asks for Xiaomi names
/// that a Block or Log list holds (a list whose name starts with <c>xiaomi</c>) is flagged as a
/// probable Xiaomi device with the names as evidence; with <c>Devices:AutoPolicy</c> such a
/// client that is no configured device gets that policy from then on. Recording a query takes
/// a dictionary lookup and two field writes; nothing on the query path waits on the store.
/// </summary>
public sealed class DeviceInventory
{
    /// <summary>Clients that are no device are forgotten beyond this many (least recently seen first).</summary>
    public const int MaxClients = 10_000;

    private readonly ConcurrentDictionary<string, InventoryEntry> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ClientKey, InventoryEntry> _clients = new();
    private readonly TimeProvider _time;
    private readonly INeighbourTable _neighbours;
    private readonly IClientNames _names;
    private readonly DateTimeOffset _originDate;
    private readonly long _originTimestamp;

    public DeviceInventory(TimeProvider time, INeighbourTable neighbours, IClientNames names)
    {
        _time = time;
        _neighbours = neighbours;
        _names = names;
        _originDate = time.GetUtcNow();
        _originTimestamp = Now();
    }

    /// <summary>Raised (on the query's thread: keep it short) when a client is first flagged as a probable Xiaomi device.</summary>
    public event Action<string>? XiaomiDeviceFound;

    public int Count => _devices.Count + _clients.Count;

    /// <summary>Counts one answered query of <paramref name="context"/>'s client, and its rule match if any.</summary>
    public void Record(QueryContext context, string? autoPolicy)
    {
        long now = Now();
        InventoryEntry entry = EntryFor(context, now);
        entry.Touch(now, context.Client);
        if (context.PolicyAction == PolicyAction.None || context.MatchedList is not string list)
        {
            return;
        }

        if (context.Rules is not { } rules || IndexOf(rules.Rules.ListNames, list) is not int listIndex)
        {
            return;
        }

        if (entry.RecordMatch(list, listIndex, context.PolicyAction, context.QueryName, context.Query.Type, rules.Rules, now))
        {
            if (autoPolicy is not null && entry.Device is null)
            {
                entry.ApplyAutoPolicy(autoPolicy, now);
            }

            XiaomiDeviceFound?.Invoke(entry.Key);
        }
    }

    /// <summary>Lists whose matches count as Xiaomi evidence: by convention, those named <c>xiaomi…</c>.</summary>
    public static bool IsXiaomiList(string list) => list.StartsWith("xiaomi", StringComparison.OrdinalIgnoreCase);

    /// <summary>The policy <c>Devices:AutoPolicy</c> gave this client (no configured device), if any.</summary>
    public string? AutoPolicyFor(in ClientAddress client) =>
        _clients.TryGetValue(ClientKey.For(client, _neighbours), out InventoryEntry? entry) ? entry.AutoPolicy : null;

    /// <summary>Everything the inventory knows, most recently seen first.</summary>
    public IReadOnlyList<InventoryRecord> List() =>
        [.. _devices.Values.Concat(_clients.Values).OrderByDescending(e => e.LastSeen).Select(ToRecord)];

    /// <summary>One client by key (device name, MAC or address).</summary>
    public InventoryRecord? Find(string key) =>
        _devices.TryGetValue(key, out InventoryEntry? device) ? ToRecord(device)
        : _clients.Values.FirstOrDefault(e => e.Key.Equals(key, StringComparison.OrdinalIgnoreCase)) is { } client ? ToRecord(client) : null;

    /// <summary>Records changed since the last call (for the store), marking them saved.</summary>
    internal IReadOnlyList<InventoryRecord> TakeChanged()
    {
        var changed = new List<InventoryRecord>();
        foreach (InventoryEntry entry in _devices.Values.Concat(_clients.Values))
        {
            if (entry.Dirty)
            {
                entry.Dirty = false;
                changed.Add(ToRecord(entry));
            }
        }

        return changed;
    }

    /// <summary>Brings back saved records (at start, before queries arrive).</summary>
    internal void Restore(IEnumerable<InventoryRecord> records)
    {
        foreach (InventoryRecord record in records)
        {
            InventoryEntry entry;
            if (record.Device is string device)
            {
                entry = _devices.GetOrAdd(device, static (d, now) => new InventoryEntry(d, d, now, 0), 0L);
            }
            else if (ParseKey(record) is ClientKey key)
            {
                entry = _clients.GetOrAdd(key, static (k, now) => new InventoryEntry(k.ToString(), null, now, k.Mac), 0L);
            }
            else
            {
                continue;
            }

            entry.Restore(record, ToTimestamp);
        }
    }

    private InventoryEntry EntryFor(QueryContext context, long now)
    {
        if (context.Device != "unknown")
        {
            return _devices.TryGetValue(context.Device, out InventoryEntry? known)
                ? known
                : _devices.GetOrAdd(context.Device, static (d, now) => new InventoryEntry(d, d, now, 0), now);
        }

        ClientKey key = ClientKey.For(context.Client, _neighbours);
        if (_clients.TryGetValue(key, out InventoryEntry? entry))
        {
            return entry;
        }

        if (_clients.Count >= MaxClients)
        {
            ForgetOldest();
        }

        entry = _clients.GetOrAdd(key, static (k, now) => new InventoryEntry(k.ToString(), null, now, k.Mac), now);
        _ = _names.TryGetName(context.Client); // starts a name lookup in the background
        return entry;
    }

    private void ForgetOldest()
    {
        foreach (KeyValuePair<ClientKey, InventoryEntry> oldest in _clients.OrderBy(c => c.Value.LastSeen).Take(MaxClients / 10))
        {
            _clients.TryRemove(oldest);
        }
    }

    private InventoryRecord ToRecord(InventoryEntry entry) =>
        entry.ToRecord(ToDate, entry.Device is null && entry.LastAddress != default ? _names.TryGetName(entry.LastAddress) : null);

    /// <summary>
    /// Milliseconds on a monotonic clock. With the system clock, the coarse tick count (a few ns,
    /// where a precise timestamp costs ~20 ns on every query); otherwise the provider's (tests).
    /// </summary>
    private long Now() => ReferenceEquals(_time, TimeProvider.System)
        ? Environment.TickCount64
        : (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    private DateTimeOffset ToDate(long timestamp) => _originDate + TimeSpan.FromMilliseconds(timestamp - _originTimestamp);

    private long ToTimestamp(DateTimeOffset date) =>
        _originTimestamp + (long)(date - _originDate).TotalMilliseconds;

    private static int? IndexOf(IReadOnlyList<string> lists, string list)
    {
        for (int i = 0; i < lists.Count; i++)
        {
            if (ReferenceEquals(lists[i], list) || lists[i] == list)
            {
                return i;
            }
        }

        return null;
    }

    private static ClientKey? ParseKey(InventoryRecord record)
    {
        if (record.Mac is string mac && MacAddress.TryParse(mac, out MacAddress parsed))
        {
            return new ClientKey(0, false, parsed.Value);
        }

        return System.Net.IPAddress.TryParse(record.Key, out System.Net.IPAddress? address)
            ? new ClientKey(ClientAddress.FromIPAddress(address).Bits, ClientAddress.FromIPAddress(address).IsIPv4, 0)
            : null;
    }
}
