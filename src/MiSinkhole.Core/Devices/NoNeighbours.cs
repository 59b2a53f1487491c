using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>A neighbour table that knows no one: for tools that resolve devices by name only (explain, check-config).</summary>
public sealed class NoNeighbours : INeighbourTable
{
    public static NoNeighbours Instance { get; } = new();

    public bool TryGetMac(in ClientAddress address, out MacAddress mac)
    {
        mac = default;
        return false;
    }
}
