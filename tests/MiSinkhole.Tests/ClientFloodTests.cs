using System.Net;
using Microsoft.Data.Sqlite;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Inventory;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Tens of thousands of distinct clients (127.10.0.0/16, each its own source address) through the
/// daemon's UDP socket: the inventory's caps hold at insertion, with its SQLite store or without
/// one, so what the daemon keeps per client stays bounded.
/// </summary>
[TestClass]
public sealed class ClientFloodTests
{
    private const int Clients = 25_000;

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task DistinctClients_StayWithinTheInventoryCap_WithOrWithoutTheStore(bool persistent)
    {
        await FloodAsync(persistent, anonymise: false);
    }

    /// <summary>
    /// Anonymised, a restart brings the stored clients back by token, waiting for their next query
    /// (their addresses unknown): those count towards the cap too, and go first when new clients come.
    /// </summary>
    [TestMethod]
    public async Task AnonymisedClients_RestoredByToken_CountTowardsTheCap()
    {
        using var data = new TempDirectory();
        await FloodAsync(persistent: true, anonymise: true, data);

        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, data, anonymise: true);
        var inventory = daemon.Get<DeviceInventory>();
        Assert.AreEqual(DeviceInventory.MaxClients, inventory.Count, "every stored client is back, by its token");

        byte[] query = RawMessage.Query("data.mistat.xiaomi.com", 1);
        await Parallel.ForEachAsync(Enumerable.Range(Clients, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, query, from: Client(i)), $"client {Client(i)} got no answer"));

        Assert.IsLessThanOrEqualTo(DeviceInventory.MaxClients, inventory.Count, "new clients make room among those waiting by token");
        Assert.IsGreaterThanOrEqualTo(1000L, inventory.Forgotten);
        Assert.IsNotNull(inventory.Find(Client(Clients + 999).ToString()), "the newest client is known, by its token");
        daemon.Get<InventoryStore>().Save();
        Assert.AreEqual(inventory.Count, Rows(daemon.Get<InventoryStore>().Path), "the rows of the forgotten tokens are deleted");
    }

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, TempDirectory data, bool anonymise) => RunningDaemon.StartAsync(
        new TestConfig().Upstream(upstream.Address).List("xiaomi-telemetry", "telemetry.txt").Set("DataDirectory", data.Path)
            .Set("QueryLog:AnonymizeClients", anonymise ? "true" : "false").Values,
        new Dictionary<string, string> { ["telemetry.txt"] = "data.mistat.xiaomi.com\n" });

    private static async Task FloodAsync(bool persistent, bool anonymise, TempDirectory? kept = null)
    {
        using var owned = kept is null ? new TempDirectory() : null;
        TempDirectory data = kept ?? owned!;
        if (!persistent)
        {
            Directory.CreateDirectory(Path.Combine(data.Path, "inventory.db")); // no database can be opened there
        }

        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, data, anonymise);
        var inventory = daemon.Get<DeviceInventory>();
        var store = daemon.Get<InventoryStore>();
        Assert.AreEqual(persistent, store.IsPersistent);

        byte[] query = RawMessage.Query("data.mistat.xiaomi.com", 1);
        for (int start = 0; start < Clients; start += 1000)
        {
            await Parallel.ForEachAsync(Enumerable.Range(start, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
                Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, query, from: Client(i)), $"client {Client(i)} got no answer"));

            Assert.IsLessThanOrEqualTo(DeviceInventory.MaxClients, inventory.Count, $"after {start + 1000} clients");
            Assert.IsLessThanOrEqualTo(DeviceInventory.MaxClients, daemon.Get<XiaomiClients>().FlaggedAddresses, "flags are forgotten with their clients");
        }

        Assert.IsGreaterThan(DeviceInventory.MaxClients * 9 / 10, inventory.Count, "room is made a batch at a time, not by emptying the inventory");
        Assert.IsNotNull(inventory.Find(Client(Clients - 1).ToString()), "the newest client is known");
        Assert.IsNull(inventory.Find(Client(0).ToString()), "the least recently seen were forgotten");
        Assert.IsGreaterThanOrEqualTo(Clients - DeviceInventory.MaxClients, inventory.Forgotten);
        if (persistent)
        {
            store.Save();
            Assert.AreEqual(inventory.Count, Rows(store.Path), "the file holds the clients the inventory holds, not every client ever seen");
        }
    }

    [TestMethod]
    public async Task OneClientAskingManyNames_KeepsAtMostTheNameCap()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig().Upstream(upstream.Address).List("xiaomi-telemetry", "telemetry.txt").Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "data.mistat.xiaomi.com\n" });
        IPAddress phone = IPAddress.Parse("127.0.0.77");

        for (int i = 0; i < InventoryEntry.MaxMatchedNames + 100; i++)
        {
            Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"n{i}.data.mistat.xiaomi.com", 1), from: phone));
        }

        InventoryRecord record = daemon.Get<DeviceInventory>().Find("127.0.0.77")!;
        Assert.HasCount(InventoryEntry.MaxMatchedNames, record.Matches);
        Assert.AreEqual(InventoryEntry.MaxMatchedNames + 100, record.Categories["xiaomi-telemetry"].Blocked, "the counts go on beyond the names");
    }

    /// <summary>127.10.0.1, 127.10.0.2, …: a distinct loopback address per client.</summary>
    private static IPAddress Client(int i) => new([127, 10, (byte)((i + 1) >> 8), (byte)((i + 1) & 0xFF)]);

    private static long Rows(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM clients";
        return (long)count.ExecuteScalar()!;
    }
}
