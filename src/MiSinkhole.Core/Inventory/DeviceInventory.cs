using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// Every client the daemon has served: configured devices by name, other clients by address
/// (with the MAC the neighbour table gave when first seen). Per client: first and last seen,
/// queries, per list how many queries it blocked, logged and allowed, the names blocked or
/// only logged with list and rule, and the unclassified Xiaomi names (first and last seen, count). A client that asks for names that a Block or Log list named
/// <c>xiaomi…</c> holds is flagged as a probable Xiaomi device (in <see cref="XiaomiClients"/>,
/// by address and MAC); <see cref="ClientPolicyResolver"/> then gives it <c>Devices:AutoPolicy</c>
/// when that is set, and the inventory notes when it did. Recording a query is a dictionary
/// lookup and a counter increment; nothing on the query path waits on the store. The caps hold
/// at insertion, with the store or without it: a client first seen when <see cref="MaxClients"/>
/// are known makes the least recently seen sixteenth room first, and each client keeps at most
/// <see cref="InventoryEntry.MaxMatchedNames"/> matched and
/// <see cref="InventoryEntry.MaxUnclassifiedNames"/> unclassified names.
/// With <c>QueryLog:AnonymizeClients</c> (<see cref="ClientAnonymizer"/>) a client that is no
/// device is keyed, shown and stored by its token, its address and MAC address as tokens and
/// no host name; one restored from the store by its token (its address unknown until then)
/// waits in <c>_pending</c> until a query from an address with that token arrives.
/// </summary>
public sealed class DeviceInventory
{
    /// <summary>Clients that are no device are forgotten beyond this many (least recently seen first).</summary>
    public const int MaxClients = 10_000;

    /// <summary>How many clients one eviction forgets: a batch, so a stream of new clients costs one scan per batch, not per client.</summary>
    internal const int EvictionBatch = MaxClients / 16;

    private readonly ConcurrentDictionary<string, InventoryEntry> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ClientKey, InventoryEntry> _clients = new();
    private readonly ConcurrentDictionary<string, InventoryEntry> _pending = new(StringComparer.Ordinal);
    private readonly ClientAnonymizer _anonymizer;
    private readonly XiaomiClients _xiaomi;
    private readonly ClientPolicyResolver _resolver;
    private readonly TimeProvider _time;
    private readonly INeighbourTable _neighbours;
    private readonly IClientNames _names;
    private readonly DateTimeOffset _originDate;
    private readonly long _originTimestamp;
    private readonly Lock _admit = new();
    private long _forgotten;

    public DeviceInventory(TimeProvider time, INeighbourTable neighbours, IClientNames names, XiaomiClients xiaomi, ClientPolicyResolver resolver, IMeterFactory meterFactory,
        ClientAnonymizer? anonymizer = null)
    {
        _anonymizer = anonymizer ?? ClientAnonymizer.Off;
        meterFactory.Create(SinkholeMeter.Name).CreateObservableGauge("misinkhole.inventory.clients", () => Count, description: "Clients in the device inventory (configured devices and others).");
        _time = time;
        _xiaomi = xiaomi;
        _resolver = resolver;
        _neighbours = neighbours;
        _names = names;
        _originDate = time.GetUtcNow();
        _originTimestamp = Now();
    }

    /// <summary>Raised (on the query's thread: keep it short) when a client is first flagged as a probable Xiaomi device.</summary>
    public event Action<string>? XiaomiDeviceFound;

    public int Count => _devices.Count + _clients.Count + _pending.Count;

    /// <summary>
    /// Clients forgotten to stay within <see cref="MaxClients"/> since start, and rows restoring
    /// replaced (stored by address before anonymising, now kept by token): the store deletes the
    /// rows of clients it no longer has when this moves.
    /// </summary>
    public long Forgotten => Interlocked.Read(ref _forgotten);

    /// <summary>Lists whose matches count as Xiaomi evidence: by convention, those named <c>xiaomi…</c>.</summary>
    public static bool IsXiaomiList(string list) => list.StartsWith("xiaomi", StringComparison.OrdinalIgnoreCase);

    /// <summary>Counts one answered query of <paramref name="context"/>'s client, and its rule match if any.</summary>
    public void Record(QueryContext context)
    {
        long now = Now();
        InventoryEntry entry = EntryFor(context, now);
        entry.Touch(now, context.Client, context.Forwarder);
        if (context.Outcome == Outcome.Limited)
        {
            entry.CountRateLimited();
            return;
        }
        ref ClientPolicy client = ref context.ClientPolicy;
        if (client.Source == PolicySource.AutoPolicy)
        {
            entry.NoteAutoPolicy(client.Assigned.Name, now);
        }

        if (context.UnclassifiedList is string zone)
        {
            entry.RecordUnclassified(context.QueryName, zone, now);
        }

        if (context.PolicyAction == PolicyAction.None || context.MatchedList is not string list || context.Config is not { } rules)
        {
            return;
        }

        if (entry.RecordMatch(list, context.PolicyAction, context.QueryName, context.Query.Type, rules, now))
        {
            if (entry.Device is null)
            {
                FlagXiaomi(context, entry);
                if (_resolver.Resolve(rules, IdentityOf(context)) is { Source: PolicySource.AutoPolicy } applies)
                {
                    entry.NoteAutoPolicy(applies.Assigned.Name, now); // from its next query on
                }
            }

            XiaomiDeviceFound?.Invoke(entry.Key);
        }
    }

    /// <summary>Everything the inventory knows, most recently seen first.</summary>
    public IReadOnlyList<InventoryRecord> List() =>
        [.. All().OrderByDescending(e => e.LastSeen).Select(ToRecord)];

    /// <summary>The clients that asked for unclassified Xiaomi names, with those names (newest first); the others are skipped without copying.</summary>
    public IReadOnlyList<ClientUnclassified> Unclassified() =>
        [.. All().Where(e => e.HasUnclassified).Select(e => new ClientUnclassified(e.Key, e.Device, e.Unclassified(ToDate)))];

    /// <summary>One client by key (device name, address, or the token an anonymised client is shown by).</summary>
    public InventoryRecord? Find(string key) =>
        _devices.TryGetValue(key, out InventoryEntry? device) ? ToRecord(device)
        : Others(_anonymizer.Show(key)) is { } client ? ToRecord(client) : null;

    /// <summary>Records changed since the last call (for the store), marked as saved.</summary>
    internal IReadOnlyList<InventoryRecord> TakeChanged()
    {
        var changed = new List<InventoryRecord>();
        foreach (InventoryEntry entry in All())
        {
            if (entry.Dirty)
            {
                entry.Dirty = false;
                changed.Add(ToRecord(entry));
            }
        }

        return changed;
    }

    /// <summary>Marks records as changed again (their save failed).</summary>
    internal void MarkChanged(IEnumerable<InventoryRecord> records)
    {
        foreach (InventoryRecord record in records)
        {
            if ((record.Device is string device ? _devices.GetValueOrDefault(device) : Others(record.Key)) is InventoryEntry entry)
            {
                entry.Dirty = true;
            }
        }
    }

    /// <summary>The keys of the clients that are no device, as the store names them (their addresses, or tokens), those waiting by token too.</summary>
    internal IReadOnlyList<string> ClientKeys() => [.. _clients.Values.Select(e => e.Key).Concat(_pending.Keys)];

    /// <summary>Brings back saved records (at start, before queries arrive), the most recent <see cref="MaxClients"/> clients.</summary>
    internal void Restore(IEnumerable<InventoryRecord> records)
    {
        foreach (InventoryRecord record in records.OrderByDescending(r => r.LastSeen))
        {
            InventoryEntry entry;
            ClientAddress client = default;
            if (record.Device is string device)
            {
                entry = _devices.GetOrAdd(device, static (d, now) => new InventoryEntry(d, d, now, 0), 0L);
            }
            else if (Count - _devices.Count < MaxClients && System.Net.IPAddress.TryParse(record.Key, out System.Net.IPAddress? address))
            {
                client = ClientAddress.FromIPAddress(address);
                entry = _clients.GetOrAdd(ClientKey.From(client), static (_, state) => new InventoryEntry(state, null, 0, 0), _anonymizer.Show(client));
                if (entry.Key != record.Key)
                {
                    Interlocked.Increment(ref _forgotten); // stored by address before anonymising: rewritten under its token, the old row deleted
                }
            }
            else if (_anonymizer.Enabled && ClientAnonymizer.IsToken(record.Key) && Count - _devices.Count < MaxClients)
            {
                entry = _pending.GetOrAdd(record.Key, static k => new InventoryEntry(k, null, 0, 0));
            }
            else
            {
                continue;
            }

            entry.Restore(record, ToTimestamp);
            if (_anonymizer.Enabled && (Shown(record.Address) || Shown(record.Mac) || record.HostName is not null))
            {
                entry.Dirty = true; // written before anonymising: stored again, masked
            }

            if (entry.XiaomiSince is not null && entry.Device is null && client != default)
            {
                _xiaomi.Flag(client, entry.Mac); // one waiting by its token is flagged when it is seen again
            }
        }
    }

    /// <summary>
    /// Flags the client as a Xiaomi device: its address and MAC; for a client a forwarder named
    /// only by its MAC, that MAC alone (the address is the router's, which is no Xiaomi device).
    /// </summary>
    private void FlagXiaomi(QueryContext context, InventoryEntry entry)
    {
        ClientIdentity identity = context.Identity;
        if (context.Forwarder is null)
        {
            _xiaomi.Flag(context.Client, entry.Mac);
        }
        else if (identity.HasAddress)
        {
            _xiaomi.Flag(identity.Address, identity.Mac.Value != 0 ? identity.Mac.Value : entry.Mac);
        }
        else if (identity.Mac.Value != 0)
        {
            _xiaomi.FlagMac(identity.Mac.Value);
        }
    }

    /// <summary>The identity the device stage resolved (a context that skipped it: its address).</summary>
    private static ClientIdentity IdentityOf(QueryContext context) =>
        context.Forwarder is not null || context.Identity.HasAddress ? context.Identity : ClientIdentity.FromAddress(context.Client);

    private InventoryEntry EntryFor(QueryContext context, long now)
    {
        if (context.ClientPolicy.Device is not null)
        {
            return _devices.TryGetValue(context.Device, out InventoryEntry? known)
                ? known
                : _devices.GetOrAdd(context.Device, static (d, now) => new InventoryEntry(d, d, now, 0), now);
        }

        ClientKey key = ClientKey.From(context.Client);
        if (_clients.TryGetValue(key, out InventoryEntry? entry))
        {
            return entry;
        }

        // First seen: the only time the neighbour table and the name lookup are asked (a client
        // a forwarder named with its address and MAC has that MAC; the router's neighbours do not).
        ClientIdentity identity = context.Identity;
        ulong mac = context.Forwarder is not null && identity.HasAddress ? identity.Mac.Value
            : _neighbours.TryGetMac(context.Client, out MacAddress found) ? found.Value : 0;
        string shown = _anonymizer.Show(context.Client);
        if (_anonymizer.Enabled && _pending.TryRemove(shown, out InventoryEntry? restored))
        {
            restored.SeenAgain(mac);
            entry = _clients.GetOrAdd(key, restored);
            if (ReferenceEquals(entry, restored) && restored.XiaomiSince is not null)
            {
                _xiaomi.Flag(context.Client, restored.Mac); // its auto policy from its next query on
            }

            return entry;
        }

        entry = Admit(key, shown, now, mac);
        _ = _names.TryGetName(context.Client); // none when anonymising (ClientNameOptions.Off)
        return entry;
    }

    /// <summary>
    /// Adds a client first seen, making room first when <see cref="MaxClients"/> are known, so the
    /// cap holds at every moment. New clients take one lock (queries of known clients never do).
    /// </summary>
    private InventoryEntry Admit(ClientKey key, string shown, long now, ulong mac)
    {
        lock (_admit)
        {
            if (_clients.TryGetValue(key, out InventoryEntry? entry))
            {
                return entry; // another thread admitted it meanwhile
            }

            if (_clients.Count + _pending.Count >= MaxClients)
            {
                Evict(EvictionBatch);
            }

            entry = new InventoryEntry(shown, null, now, mac);
            _clients[key] = entry;
            return entry;
        }
    }

    /// <summary>Forgets the <paramref name="count"/> least recently seen clients, those waiting by token first (one pass, a heap of <paramref name="count"/>). Caller holds <c>_admit</c>.</summary>
    private void Evict(int count)
    {
        // Those restored by token that have not asked since start go first.
        foreach (KeyValuePair<string, InventoryEntry> waiting in _pending.OrderBy(c => c.Value.LastSeen).Take(count))
        {
            if (_pending.TryRemove(waiting))
            {
                count--;
                Interlocked.Increment(ref _forgotten);
            }
        }

        if (count <= 0)
        {
            return;
        }

        var oldest = new PriorityQueue<ClientKey, long>(count + 1, Comparer<long>.Create(static (a, b) => b.CompareTo(a)));
        foreach (KeyValuePair<ClientKey, InventoryEntry> client in _clients)
        {
            long seen = client.Value.LastSeen;
            if (oldest.Count < count)
            {
                oldest.Enqueue(client.Key, seen);
            }
            else if (oldest.TryPeek(out _, out long newest) && seen < newest)
            {
                oldest.EnqueueDequeue(client.Key, seen);
            }
        }

        while (oldest.TryDequeue(out ClientKey forgotten, out _))
        {
            if (_clients.TryRemove(forgotten, out _))
            {
                _xiaomi.Forget(forgotten);
                Interlocked.Increment(ref _forgotten);
            }
        }
    }

    private IEnumerable<InventoryEntry> All() => _devices.Values.Concat(_clients.Values).Concat(_pending.Values);

    /// <summary>A client that is no device, by the key it is shown by (its address, or its token).</summary>
    private InventoryEntry? Others(string key) =>
        !_anonymizer.Enabled && System.Net.IPAddress.TryParse(key, out System.Net.IPAddress? address)
            ? _clients.GetValueOrDefault(ClientKey.From(ClientAddress.FromIPAddress(address)))
            : _pending.GetValueOrDefault(key) ?? _clients.Values.FirstOrDefault(e => e.Key.Equals(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>An address or MAC address as stored in clear (not a token).</summary>
    private static bool Shown(string? value) => value is not null && !ClientAnonymizer.IsToken(value);

    private InventoryRecord ToRecord(InventoryEntry entry)
    {
        ClientAddress address = entry.LastAddress;
        if (!_anonymizer.Enabled)
        {
            return entry.ToRecord(ToDate, entry.Device is null && address != default ? _names.TryGetName(address) : null);
        }

        return entry.ToRecord(ToDate, hostName: null) with
        {
            Address = address == default ? null : _anonymizer.Show(address),
            Mac = entry.Mac == 0 ? null : _anonymizer.Show(new MacAddress(entry.Mac)),
            Forwarder = entry.LastForwarder is { } forwarder ? _anonymizer.Show(forwarder) : null,
        };
    }

    /// <summary>
    /// Milliseconds on a monotonic clock. With the system clock, the coarse tick count (a few ns,
    /// where a precise timestamp costs ~20 ns on every query); otherwise the provider's (tests).
    /// </summary>
    private long Now() => ReferenceEquals(_time, TimeProvider.System)
        ? Environment.TickCount64
        : (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    private DateTimeOffset ToDate(long timestamp) => _originDate + TimeSpan.FromMilliseconds(timestamp - _originTimestamp);

    private long ToTimestamp(DateTimeOffset date) => _originTimestamp + (long)(date - _originDate).TotalMilliseconds;
}
