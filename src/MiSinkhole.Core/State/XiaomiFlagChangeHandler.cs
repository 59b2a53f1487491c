using System.Collections.Concurrent;
using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.State;

/// <summary>
/// The auto-policy decision shared: a client one instance flagged as a probable Xiaomi device
/// (its evidence in its inventory) is flagged on every instance, so <c>Devices:AutoPolicy</c>
/// applies to it whichever instance it asks. Its value: <c>ADDRESS|MAC</c> (either may be empty).
/// Shared once per client and start (the flag never goes away by itself).
/// </summary>
public sealed class XiaomiFlagChangeHandler : ISharedChangeHandler, IPublishingChangeHandler
{
    public const string KindName = "xiaomi";

    private readonly XiaomiClients _xiaomi;
    private readonly DeviceInventory _inventory;
    private readonly ConcurrentDictionary<string, byte> _shared = new(StringComparer.OrdinalIgnoreCase);

    public XiaomiFlagChangeHandler(XiaomiClients xiaomi, DeviceInventory inventory)
    {
        _xiaomi = xiaomi;
        _inventory = inventory;
    }

    /// <summary>Called by <see cref="SharedState"/> when it shares: from then on a new flag here is published.</summary>
    public void Attach(SharedState state) =>
        _inventory.XiaomiDeviceFound += key =>
        {
            // The first time per client only: the event comes with each new match, on the DNS path.
            if (_shared.TryAdd(key, 0) && _inventory.Find(key) is { Device: null } record)
            {
                // Behind a forwarding router only its MAC names it (its address may be the router's).
                state.Publish(KindName, key, $"{(record.Forwarder is null ? record.Address : null)}|{record.Mac}");
            }
        };

    public string Kind => KindName;

    public void Apply(SharedChange change)
    {
        string[] parts = change.Value.Split('|');
        ulong mac = parts.Length > 1 && MacAddress.TryParse(parts[1], out MacAddress parsed) ? parsed.Value : 0;
        _shared.TryAdd(change.Subject, 0); // flagged here by the other's evidence: not shared back
        if (IPAddress.TryParse(parts[0], out IPAddress? address))
        {
            _xiaomi.Flag(ClientAddress.FromIPAddress(address), mac);
        }
        else
        {
            _xiaomi.FlagMac(mac);
        }
    }
}
