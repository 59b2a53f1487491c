using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Inventory;

/// <summary>An inventory with the resolver that reads its Xiaomi flags, wired as the daemon wires them.</summary>
internal static class TestInventory
{
    public static (DeviceInventory Inventory, ClientPolicyResolver Resolver) Create(TimeProvider time, INeighbourTable? neighbours = null, IMeterFactory? meters = null)
    {
        neighbours ??= NoNeighbours.Instance;
        var xiaomi = new XiaomiClients();
        var resolver = new ClientPolicyResolver(neighbours, xiaomi, new BlockingPause(time, NullLogger<BlockingPause>.Instance), time);
        return (new DeviceInventory(time, neighbours, NoClientNames.Instance, xiaomi, resolver, meters ?? TestMeters.Factory()), resolver);
    }
}
