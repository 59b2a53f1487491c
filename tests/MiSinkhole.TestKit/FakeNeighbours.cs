using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.TestKit;

/// <summary>A neighbour table as a dictionary: address text → MAC text.</summary>
public sealed class FakeNeighbours(Dictionary<string, string> macs) : INeighbourTable
{
    public bool TryGetMac(in ClientAddress address, out MacAddress mac)
    {
        mac = default;
        return macs.TryGetValue(address.ToString(), out string? text) && MacAddress.TryParse(text, out mac);
    }
}
