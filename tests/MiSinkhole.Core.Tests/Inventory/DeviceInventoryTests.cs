using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Inventory;

/// <summary>The inventory and its store, fed with the contexts the inventory stage hands it.</summary>
[TestClass]
public sealed class DeviceInventoryTests
{
    private static ConfigSnapshot Snapshot(TempDirectory dir, string? autoPolicy = "strict")
    {
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .List("xiaomi-telemetry", "telemetry.txt")
            .Policy("strict", block: ["xiaomi-telemetry"])
            .Policy("observe", log: ["xiaomi-telemetry"])
            .DefaultPolicy("observe")
            .Set("DataDirectory", dir.Path)
            .Set("Devices:AutoPolicy", autoPolicy)
            .ReadWithProblems(dir.Path);
        Assert.IsEmpty(problems);
        return ActiveConfig.Compile(options).Snapshot;
    }

    /// <summary>A context as the inventory stage sees it after the policy stage logged <paramref name="name"/>.</summary>
    private static QueryContext Logged(ConfigSnapshot rules, string client, string name)
    {
        var context = new QueryContext { Client = ClientAddress.FromIPAddress(IPAddress.Parse(client), 40000), Config = rules };
        byte[] wire = DnsName.FromText(name);
        wire.CopyTo(context.LowerName, 0);
        context.Query.NameLength = wire.Length;
        context.Query.Type = DnsRecordType.A;
        context.PolicyAction = PolicyAction.Logged;
        context.MatchedList = "xiaomi-telemetry";
        return context;
    }

    [TestMethod]
    public void FlaggedClient_GetsTheAutoPolicy_AlsoUnderAnotherAddressWithTheSameMac()
    {
        using var dir = new TempDirectory();
        ConfigSnapshot rules = Snapshot(dir);
        var neighbours = new FakeNeighbours(new() { ["192.168.1.50"] = "a4:50:46:00:00:01", ["fd00::1234"] = "a4:50:46:00:00:01" });
        (DeviceInventory inventory, ClientPolicyResolver resolver) = TestInventory.Create(new FakeTimeProvider(), neighbours);
        ClientIdentity v4 = ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.50")));
        ClientIdentity privacy = ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("fd00::1234")));
        ClientIdentity other = ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.51")));

        ClientPolicy before = resolver.Resolve(rules, v4);
        inventory.Record(Logged(rules, "192.168.1.50", "tracking.miui.com"));

        Assert.AreEqual(PolicySource.Default, before.Source);
        Assert.AreEqual("observe", before.Policy.Name);
        Assert.AreEqual(PolicySource.AutoPolicy, resolver.Resolve(rules, v4).Source);
        Assert.AreEqual("strict", resolver.Resolve(rules, v4).Policy.Name);
        Assert.AreEqual(PolicySource.AutoPolicy, resolver.Resolve(rules, privacy).Source, "the phone's IPv6 privacy address has the same MAC");
        Assert.AreEqual(PolicySource.Default, resolver.Resolve(rules, other).Source);
        InventoryRecord record = inventory.Find("192.168.1.50")!;
        Assert.AreEqual("a4:50:46:00:00:01", record.Mac);
        Assert.AreEqual("strict", record.AutoPolicy);
    }

    [TestMethod]
    public async Task FailedSave_KeepsTheChangesForTheNextSave()
    {
        using var dir = new TempDirectory();
        ConfigSnapshot rules = Snapshot(dir);
        var time = new FakeTimeProvider();
        (DeviceInventory inventory, _) = TestInventory.Create(time);
        var store = new InventoryStore(inventory, rules.Options, time, NullLogger<InventoryStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        inventory.Record(Logged(rules, "192.168.1.50", "tracking.miui.com"));
        File.Delete(store.Path);
        Directory.CreateDirectory(store.Path); // the database cannot be opened now

        Assert.ThrowsExactly<Microsoft.Data.Sqlite.SqliteException>(() => store.Save());
        Directory.Delete(store.Path);
        int written = store.Save();

        Assert.AreEqual(1, written, "the client the failed save took is written by the next one");
        await store.StopAsync(CancellationToken.None);
    }

    [TestMethod]
    public async Task UnusableDataDirectory_LeavesTheInventoryInMemory()
    {
        using var dir = new TempDirectory();
        ConfigSnapshot rules = Snapshot(dir);
        dir.Write("not-a-folder", "a file where the data folder should be");
        SinkholeOptions options = rules.Options with { DataDirectory = Path.Combine(dir.Path, "not-a-folder") };
        var time = new FakeTimeProvider();
        (DeviceInventory inventory, _) = TestInventory.Create(time);
        var store = new InventoryStore(inventory, options, time, NullLogger<InventoryStore>.Instance);

        await store.StartAsync(CancellationToken.None);
        inventory.Record(Logged(rules, "192.168.1.50", "tracking.miui.com"));

        Assert.IsFalse(store.IsPersistent);
        Assert.AreEqual(0, store.Save());
        Assert.AreEqual(1, inventory.Find("192.168.1.50")!.Queries);
        await store.StopAsync(CancellationToken.None);
    }
}
