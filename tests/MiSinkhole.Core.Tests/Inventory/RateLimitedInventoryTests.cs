using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Inventory;

/// <summary>Queries the RateLimit section turned away, per client in the inventory, kept across a restart.</summary>
[TestClass]
public sealed class RateLimitedInventoryTests
{
    [TestMethod]
    public async Task LimitedQueries_AreCountedPerClient_AndSurviveARestart()
    {
        using var dir = new TempDirectory();
        SinkholeOptions options = new TestConfig().List("l", "/dev/null").Set("DataDirectory", dir.Path).Read(dir.Path);
        ConfigSnapshot rules = ActiveConfig.Compile(options).Snapshot;
        var time = new FakeTimeProvider();
        (DeviceInventory inventory, _) = TestInventory.Create(time);
        var store = new InventoryStore(inventory, options, time, NullLogger<InventoryStore>.Instance);
        await store.StartAsync(CancellationToken.None);

        for (int i = 0; i < 5; i++)
        {
            var context = new QueryContext { Client = ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.60"), 40000), Config = rules };
            (context.Outcome, context.Limit) = i < 3 ? (Outcome.Limited, LimitReason.Rate) : (Outcome.Cached, LimitReason.None);
            inventory.Record(context);
        }

        await store.StopAsync(CancellationToken.None);
        (DeviceInventory reloaded, _) = TestInventory.Create(time);
        var again = new InventoryStore(reloaded, options, time, NullLogger<InventoryStore>.Instance);
        await again.StartAsync(CancellationToken.None);

        InventoryRecord record = inventory.Find("192.168.1.60")!;
        Assert.AreEqual((5L, 3L), (record.Queries, record.RateLimited));
        Assert.AreEqual(3L, reloaded.Find("192.168.1.60")!.RateLimited, "stored and loaded again");
        await again.StopAsync(CancellationToken.None);
    }
}
