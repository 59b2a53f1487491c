namespace MiSinkhole.Core.Inventory;

/// <summary>The unclassified Xiaomi names of one inventory client, newest first.</summary>
/// <param name="Client">The inventory key: the device name, or the address of a client that is no device.</param>
/// <param name="Device">The configured device, or null for a client that is none.</param>
public sealed record ClientUnclassified(string Client, string? Device, IReadOnlyList<UnclassifiedName> Names);
