using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Tests.Stages;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Inventory;

/// <summary>The unclassified Xiaomi names the inventory keeps per client: first and last seen, count, a bound, and the store.</summary>
[TestClass]
public sealed class UnclassifiedInventoryTests
{
    private static DeviceInventory Inventory(TimeProvider time) => TestInventory.Create(time).Inventory;

    /// <summary>A context as the inventory stage sees it after the policy stage found <paramref name="name"/> unclassified.</summary>
    private static QueryContext Unclassified(string client, string name)
    {
        QueryContext context = new StageHarness().Query(name, client: client).Context;
        context.UnclassifiedList = "xiaomi-zones";
        return context;
    }

    [TestMethod]
    public void EachClient_KeepsItsNames_WithFirstAndLastSeenAndCount()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        DeviceInventory inventory = Inventory(time);
        DateTimeOffset first = time.GetUtcNow();

        inventory.Record(Unclassified("192.168.1.50", "new.xiaomi.com"));
        time.Advance(TimeSpan.FromMinutes(5));
        inventory.Record(Unclassified("192.168.1.50", "new.xiaomi.com"));
        inventory.Record(Unclassified("192.168.1.50", "other.mi.com"));
        time.Advance(TimeSpan.FromMinutes(5));
        inventory.Record(Unclassified("192.168.1.51", "third.miui.com"));

        UnclassifiedName[] phone = [.. inventory.Find("192.168.1.50")!.Unclassified];
        ClientUnclassified[] byClient = [.. inventory.Unclassified()];
        Assert.AreEqual(2, phone.Length);
        UnclassifiedName asked = phone.Single(u => u.Name == "new.xiaomi.com");
        Assert.AreEqual(("xiaomi-zones", 2L, first, first.AddMinutes(5)), (asked.List, asked.Count, asked.FirstSeen, asked.LastSeen));
        CollectionAssert.AreEqual(new[] { "new.xiaomi.com", "other.mi.com" }, phone.Select(u => u.Name).Order().ToArray());
        CollectionAssert.AreEquivalent(new[] { "192.168.1.50 2", "192.168.1.51 1" }, byClient.Select(c => $"{c.Client} {c.Names.Count}").ToArray());
        Assert.AreEqual("third.miui.com", byClient.Single(c => c.Client == "192.168.1.51").Names.Single().Name, "not mixed up with the other client's");
    }

    [TestMethod]
    public void TheNamesAreBounded_TheLeastRecentlySeenMakesRoom()
    {
        var time = new FakeTimeProvider();
        DeviceInventory inventory = Inventory(time);
        for (int i = 0; i < InventoryEntry.MaxUnclassifiedNames; i++)
        {
            inventory.Record(Unclassified("192.168.1.50", $"n{i}.xiaomi.com"));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        inventory.Record(Unclassified("192.168.1.50", "n0.xiaomi.com")); // seen again: now the newest
        time.Advance(TimeSpan.FromSeconds(1));
        inventory.Record(Unclassified("192.168.1.50", "late.xiaomi.com"));

        string[] names = [.. inventory.Find("192.168.1.50")!.Unclassified.Select(u => u.Name)];
        Assert.HasCount(InventoryEntry.MaxUnclassifiedNames, names);
        Assert.AreEqual("late.xiaomi.com", names[0], "newest first");
        CollectionAssert.Contains(names, "n0.xiaomi.com");
        CollectionAssert.DoesNotContain(names, "n1.xiaomi.com", "the least recently seen was forgotten");
    }

    [TestMethod]
    public async Task TheStore_KeepsThemAcrossARestart()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        var options = new SinkholeOptions { DataDirectory = dir.Path };
        DeviceInventory before = Inventory(time);
        var store = new InventoryStore(before, options, time, NullLogger<InventoryStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        before.Record(Unclassified("192.168.1.50", "new.xiaomi.com"));
        time.Advance(TimeSpan.FromMinutes(1));
        before.Record(Unclassified("192.168.1.50", "new.xiaomi.com"));
        await store.StopAsync(CancellationToken.None);

        DeviceInventory after = Inventory(time);
        await new InventoryStore(after, options, time, NullLogger<InventoryStore>.Instance).StartAsync(CancellationToken.None);

        UnclassifiedName restored = after.Find("192.168.1.50")!.Unclassified.Single();
        UnclassifiedName saved = before.Find("192.168.1.50")!.Unclassified.Single();
        Assert.AreEqual(saved, restored);
        Assert.AreEqual(2, restored.Count);
    }

    [TestMethod]
    public async Task AnInventoryFromBeforeTheNames_Loads_AndIsWrittenWithThem()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "inventory.db");
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using SqliteCommand create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE clients (
                  key TEXT PRIMARY KEY, device TEXT, address TEXT, mac TEXT, host_name TEXT,
                  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, queries INTEGER NOT NULL,
                  categories TEXT NOT NULL, xiaomi_since TEXT, matches TEXT NOT NULL,
                  auto_policy TEXT, auto_policy_applied TEXT);
                INSERT INTO clients VALUES ('192.168.1.50', NULL, '192.168.1.50', NULL, NULL, '2026-11-30T08:00:00.0000000Z', '2026-11-30T09:00:00.0000000Z',
                  7, '{"xiaomi-telemetry":{"Blocked":3,"Logged":0,"Allowed":0}}', NULL, '[]', NULL, NULL);
                """;
            create.ExecuteNonQuery();
        }

        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        var options = new SinkholeOptions { DataDirectory = dir.Path };
        DeviceInventory inventory = Inventory(time);
        var store = new InventoryStore(inventory, options, time, NullLogger<InventoryStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        InventoryRecord loaded = inventory.Find("192.168.1.50")!;
        inventory.Record(Unclassified("192.168.1.50", "new.xiaomi.com"));
        int written = store.Save();
        await store.StopAsync(CancellationToken.None);
        DeviceInventory reread = Inventory(time);
        await new InventoryStore(reread, options, time, NullLogger<InventoryStore>.Instance).StartAsync(CancellationToken.None);

        Assert.IsTrue(store.IsPersistent, "not moved aside as unreadable");
        Assert.AreEqual((7L, 3L), (loaded.Queries, loaded.Categories["xiaomi-telemetry"].Blocked));
        Assert.IsEmpty(loaded.Unclassified);
        Assert.AreEqual(1, written);
        Assert.AreEqual(8, reread.Find("192.168.1.50")!.Queries);
        Assert.AreEqual("new.xiaomi.com", reread.Find("192.168.1.50")!.Unclassified.Single().Name);
        Assert.IsEmpty(Directory.GetFiles(dir.Path, "*.unreadable-*"));
    }
}
