using System.Diagnostics.Metrics;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Discovery;

/// <summary>
/// The unclassified Xiaomi names as a user reviews them (<c>/api/unclassified</c>,
/// <c>misinkhole review</c>): what the inventory recorded per client, grouped by name, newest
/// first, each with its zone and the category its shape suggests, and only those the current
/// rules still decide nothing about (a decision of <c>misinkhole review</c>, or a new bundled
/// rule, takes a name off once the lists reload). Owns the gauge of distinct unclassified names
/// per device (never the name as a label).
/// </summary>
public sealed class UnclassifiedNames
{
    private readonly DeviceInventory _inventory;
    private readonly ActiveConfig _config;
    private readonly ClientAnonymizer _anonymizer;

    private readonly MiSinkhole.Core.State.SharedInventory? _shared;

    public UnclassifiedNames(DeviceInventory inventory, ActiveConfig config, IMeterFactory meterFactory, ClientAnonymizer? anonymizer = null, MiSinkhole.Core.State.SharedInventory? shared = null)
    {
        _inventory = inventory;
        _shared = shared;
        _config = config;
        _anonymizer = anonymizer ?? ClientAnonymizer.Off;
        meterFactory.Create(SinkholeMeter.Name).CreateObservableGauge("misinkhole.unclassified.names", NamesPerDevice,
            description: "Distinct unclassified Xiaomi names (under Xiaomi's zones, decided by no list under the current rules) each device asked for; the names are at /api/unclassified.");
    }

    /// <summary>
    /// The names, newest first. <paramref name="device"/>: only what this client asked for (a
    /// configured device name, <c>unknown</c> for every client that is no device, or such a
    /// client's address, or the token it is shown by when clients are anonymised); null: every client.
    /// </summary>
    /// <param name="others">Also what the other instances' clients asked (a shared state); the gauge counts this instance's own.</param>
    public UnclassifiedReport Report(string? device = null, bool others = false)
    {
        device = device is null ? null : _anonymizer.Show(device);
        if (_config.TryGetCurrent() is not { } rules)
        {
            return new UnclassifiedReport([]);
        }

        var byName = new Dictionary<string, List<(UnclassifiedName Name, UnclassifiedSighting Sighting)>>(StringComparer.Ordinal);
        IEnumerable<ClientUnclassified> clients = _inventory.Unclassified();
        if (others && _shared is not null)
        {
            clients = clients.Concat(_shared.OthersUnclassified());
        }

        foreach (ClientUnclassified client in clients)
        {
            string deviceName = client.Device ?? ClientPolicy.UnknownDevice;
            if (device is not null && !device.Equals(deviceName, StringComparison.OrdinalIgnoreCase) && !device.Equals(client.Client, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (UnclassifiedName name in client.Names)
            {
                if (!byName.TryGetValue(name.Name, out var sightings))
                {
                    byName[name.Name] = sightings = [];
                }

                sightings.Add((name, new UnclassifiedSighting(client.Client, deviceName, name.Count, name.FirstSeen, name.LastSeen)));
            }
        }

        var names = new List<UnclassifiedNameReport>();
        Span<byte> wire = stackalloc byte[DnsConstants.MaxNameLength + 1];
        foreach ((string name, var sightings) in byName)
        {
            if (!DnsName.TryFromText(name, wire, out int length))
            {
                continue;
            }

            int zone = rules.UnclassifiedZone(rules.Rules.Match(wire[..length], DnsRecordType.A));
            if (zone < 0)
            {
                continue; // decided by a list now (reviewed, or a rule added since)
            }

            names.Add(new UnclassifiedNameReport(
                name,
                rules.Rules.RuleFor(wire[..length], DnsRecordType.A, zone) ?? name,
                rules.ListName(zone),
                NameShape.Suggest(name),
                sightings.Sum(s => s.Name.Count),
                sightings.Min(s => s.Name.FirstSeen),
                sightings.Max(s => s.Name.LastSeen),
                [.. sightings.Select(s => s.Sighting).OrderByDescending(s => s.LastSeen).ThenBy(s => s.Client, StringComparer.Ordinal)]));
        }

        return new UnclassifiedReport([.. names.OrderByDescending(n => n.LastSeen).ThenBy(n => n.Name, StringComparer.Ordinal)]);
    }

    private IEnumerable<Measurement<long>> NamesPerDevice() =>
        Report().Names
            .SelectMany(n => n.Clients.Select(c => c.Device).Distinct(StringComparer.Ordinal))
            .GroupBy(device => device, StringComparer.Ordinal)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("device", g.Key)));
}
