namespace MiSinkhole.Core.Inventory;

/// <summary>
/// What the inventory knows about one client, as a value to show (API, metrics) or to store.
/// <see cref="Key"/> is the device name for configured devices, else the MAC or IP address.
/// </summary>
public sealed record InventoryRecord
{
    public required string Key { get; init; }

    /// <summary>The configured device name, or null for a client that is no device.</summary>
    public string? Device { get; init; }

    /// <summary>The last address the client asked from.</summary>
    public string? Address { get; init; }

    /// <summary>
    /// The trusted forwarding router (<c>Devices:TrustedForwarders</c>) its last query came
    /// through, which named the client in EDNS options; null when it asked directly.
    /// </summary>
    public string? Forwarder { get; init; }

    public string? Mac { get; init; }

    /// <summary>A host name from DHCP leases or PTR, for clients that are no device.</summary>
    public string? HostName { get; init; }

    public DateTimeOffset FirstSeen { get; init; }

    public DateTimeOffset LastSeen { get; init; }

    public long Queries { get; init; }

    /// <summary>Queries the <c>RateLimit</c> section turned away: over the client's rate, or over its share of the upstream budget.</summary>
    public long RateLimited { get; init; }

    /// <summary>Per list ("category"): how many of the client's queries it blocked, logged and allowed.</summary>
    public IReadOnlyDictionary<string, CategoryCounts> Categories { get; init; } = new Dictionary<string, CategoryCounts>();

    /// <summary>Names its policy blocked or only logged ("would have blocked"), with list and rule, most frequent first.</summary>
    public IReadOnlyList<MatchRecord> Matches { get; init; } = [];

    /// <summary>When the client was first seen asking for Xiaomi names a Block or Log list holds; null: never.</summary>
    public DateTimeOffset? XiaomiSince { get; init; }

    /// <summary>The evidence: those Xiaomi names (lists named <c>xiaomi…</c>) and how often each was asked.</summary>
    public IReadOnlyDictionary<string, long> XiaomiEvidence =>
        Matches.Where(m => DeviceInventory.IsXiaomiList(m.List)).GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Sum(m => m.Count));

    /// <summary>The policy <c>Devices:AutoPolicy</c> gave this client, and when.</summary>
    public string? AutoPolicy { get; init; }

    public DateTimeOffset? AutoPolicyApplied { get; init; }

    /// <summary>
    /// The unclassified Xiaomi names it asked for (under Xiaomi's zones, decided by no list when
    /// asked), newest first, with first and last seen and count. <c>/api/unclassified</c> shows
    /// those that the current rules still do not decide.
    /// </summary>
    public IReadOnlyList<UnclassifiedName> Unclassified { get; init; } = [];

    public bool IsProbablyXiaomi => XiaomiSince is not null;

    /// <summary>The instances that saw the client, when several share their state (<c>State:Provider</c> <c>Postgres</c>); empty otherwise.</summary>
    public IReadOnlyList<string> Instances { get; init; } = [];
}
