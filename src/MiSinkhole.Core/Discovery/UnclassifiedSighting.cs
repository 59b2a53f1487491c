namespace MiSinkhole.Core.Discovery;

/// <summary>One client's queries for an unclassified name.</summary>
/// <param name="Client">The inventory key: the device name, or the address of a client that is no device.</param>
/// <param name="Device">The configured device name, or <c>unknown</c>.</param>
public sealed record UnclassifiedSighting(string Client, string Device, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
