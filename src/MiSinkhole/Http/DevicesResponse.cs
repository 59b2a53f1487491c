using MiSinkhole.Core.Inventory;

namespace MiSinkhole.Http;

/// <summary>The answer of /api/devices: configured devices, every client seen, pauses in force.</summary>
public sealed record DevicesResponse(IReadOnlyList<ConfiguredDeviceView> Configured, IReadOnlyList<InventoryRecord> Clients, IReadOnlyDictionary<string, DateTimeOffset> Paused);
