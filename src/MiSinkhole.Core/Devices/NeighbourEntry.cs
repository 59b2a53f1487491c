using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// One usable row of a host neighbour table: an IP address on the local link and the hardware
/// address it answered from. The parsers produce these and <see cref="NeighbourTable"/> indexes
/// them; <see cref="ClientAddress.Port"/> is always 0.
/// </summary>
public readonly record struct NeighbourEntry(ClientAddress Address, MacAddress Mac);
