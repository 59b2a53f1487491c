using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The device inventory, fed by real queries from several loopback source addresses.</summary>
[TestClass]
public sealed class InventoryTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string defaultPolicy = "strict", string? autoPolicy = null, string? dataDirectory = null,
        Action<TestConfig>? more = null)
    {
        TestConfig config = new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .List("xiaomi-essential", "essential.txt")
            .Policy("strict", block: ["xiaomi-telemetry"], allow: ["xiaomi-essential"])
            .Policy("observe", log: ["xiaomi-telemetry"], allow: ["xiaomi-essential"])
            .DefaultPolicy(defaultPolicy)
            .Device("old-phone", "strict", "127.0.0.2")
            .Device("laptop", "observe", "127.0.0.3")
            .Set("Devices:AutoPolicy", autoPolicy)
            .Set("DataDirectory", dataDirectory);
        more?.Invoke(config);

        return RunningDaemon.StartAsync(config.Values, new Dictionary<string, string>
        {
            ["telemetry.txt"] = "data.mistat.xiaomi.com\ntracking.miui.com\n",
            ["essential.txt"] = "update.miui.com\n",
            ["dnsmasq.leases"] = "0 3c:22:fb:12:34:56 127.0.0.9 kitchen-tv 01:3c:22:fb:12:34:56\n",
        });
    }

    [TestMethod]
    public async Task Inventory_CountsQueriesAndCategoriesPerDevice_AndFlagsXiaomiClientsWithEvidence()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "AAAA");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "update.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "update.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.9", "+tcp", "tracking.miui.com", "A");
        var inventory = daemon.Get<DeviceInventory>();

        InventoryRecord phone = inventory.Find("old-phone")!;
        InventoryRecord laptop = inventory.Find("laptop")!;
        InventoryRecord stranger = inventory.Find("127.0.0.9")!;

        Assert.AreEqual(4, phone.Queries);
        Assert.AreEqual(new CategoryCounts(2, 0, 0), phone.Categories["xiaomi-telemetry"]);
        Assert.AreEqual(new CategoryCounts(0, 0, 1), phone.Categories["xiaomi-essential"]);
        Assert.IsTrue(phone.IsProbablyXiaomi);
        Assert.AreEqual(2, phone.XiaomiEvidence["data.mistat.xiaomi.com"]);
        Assert.HasCount(1, phone.XiaomiEvidence, "allowed essential names are no evidence");
        MatchRecord match = phone.Matches.Single();
        Assert.AreEqual(("data.mistat.xiaomi.com", "xiaomi-telemetry", "data.mistat.xiaomi.com", PolicyAction.Blocked, 2L), (match.Name, match.List, match.Rule, match.Action, match.Count));
        Assert.AreEqual("127.0.0.2", phone.Address);
        Assert.IsLessThanOrEqualTo(phone.LastSeen, phone.FirstSeen);
        Assert.AreEqual(2, laptop.Queries);
        Assert.IsFalse(laptop.IsProbablyXiaomi, "asking for a Xiaomi update name alone does not make a Xiaomi device");
        Assert.IsNull(stranger.Device);
        Assert.AreEqual(1, stranger.Queries);
        Assert.IsTrue(stranger.IsProbablyXiaomi);
        Assert.AreEqual(1, stranger.XiaomiEvidence["tracking.miui.com"]);
        Assert.IsNull(stranger.AutoPolicy, "Devices:AutoPolicy is off by default");
        Assert.HasCount(3, inventory.List());
    }

    [TestMethod]
    public async Task AutoPolicy_ObservedFirst_ThenBlockedOnceFlagged_OnlyForThatClient()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, defaultPolicy: "observe", autoPolicy: "strict");

        DigResult first = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.9", "tracking.miui.com", "A");
        DigResult after = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.9", "data.mistat.xiaomi.com", "A");
        DigResult otherClient = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.10", "data.mistat.xiaomi.com", "A");
        DigResult laptop = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
        InventoryRecord stranger = daemon.Get<DeviceInventory>().Find("127.0.0.9")!;

        Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", first.Answers.Single(), "unknown clients are observed first");
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", after.Answers.Single(), "then the auto policy blocks");
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", otherClient.Answers.Single(), "its first telemetry query is only logged");
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", laptop.Answers.Single(), "configured devices keep their own policy");
        Assert.AreEqual("strict", stranger.AutoPolicy);
        CollectionAssert.AreEquivalent(
            new[] { "tracking.miui.com xiaomi-telemetry Logged 1", "data.mistat.xiaomi.com xiaomi-telemetry Blocked 1" },
            stranger.Matches.Select(m => $"{m.Rule} {m.List} {m.Action} {m.Count}").ToArray(),
            "what it tried while observed (would have blocked), then what was blocked");
        Assert.IsNotNull(stranger.AutoPolicyApplied);
        Assert.IsNull(daemon.Get<DeviceInventory>().Find("laptop")!.AutoPolicy);
    }

    [TestMethod]
    public async Task Inventory_SurvivesARestart_InItsSqliteFile()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using (RunningDaemon first = await StartAsync(upstream, autoPolicy: "observe", dataDirectory: data.Path))
        {
            await Dig.RunAsync(first.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
            await Dig.RunAsync(first.EndPoint, "-b", "127.0.0.9", "tracking.miui.com", "A");
        }

        string database = Path.Combine(data.Path, "inventory.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT key || '=' || queries FROM clients ORDER BY key";
            var rows = new List<string>();
            await using (var reader = await count.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add(reader.GetString(0));
                }
            }

            CollectionAssert.AreEqual(new[] { "127.0.0.9=1", "device:old-phone=1" }, rows, "written at graceful shutdown");
        }

        await using RunningDaemon second = await StartAsync(upstream, autoPolicy: "observe", dataDirectory: data.Path);
        InventoryRecord restored = second.Get<DeviceInventory>().Find("127.0.0.9")!;
        DigResult blocked = await Dig.RunAsync(second.EndPoint, "-b", "127.0.0.9", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(second.EndPoint, "-b", "127.0.0.2", "example.org", "A");

        Assert.AreEqual(1, restored.Queries);
        Assert.IsTrue(restored.IsProbablyXiaomi);
        Assert.AreEqual(1, restored.XiaomiEvidence["tracking.miui.com"]);
        Assert.AreEqual("observe", restored.AutoPolicy);
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", blocked.Answers.Single(), "the auto policy (observe) still applies after the restart");
        Assert.AreEqual(2, second.Get<DeviceInventory>().Find("old-phone")!.Queries);
    }

    [TestMethod]
    public async Task UnreadableInventory_IsMovedAside_AndTheDaemonStarts()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        data.Write("inventory.db", "this is not a database, but it is somebody's file");

        await using RunningDaemon daemon = await StartAsync(upstream, dataDirectory: data.Path);
        DigResult answer = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");

        Assert.AreEqual("NOERROR", answer.Status);
        string aside = Directory.GetFiles(data.Path, "inventory.db.unreadable-*").Single();
        Assert.AreEqual("this is not a database, but it is somebody's file", File.ReadAllText(aside));
    }

    [TestMethod]
    public async Task ClientsThatAreNoDevice_AreNamedFromTheLeaseFile_OrByThePtrServer()
    {
        await using var upstream = new FakeUpstream();
        await using var router = new FakeUpstream
        {
            Handler = q => q.Type == 12 && q.Name == "10.0.0.127.in-addr.arpa"
                ? RawMessage.ResponseTo(q.Raw).Record(null, 12, 300, RawMessage.Name("guest-phone.lan"), 1).ToArray()
                : RawMessage.ResponseTo(q.Raw, rcode: 3).ToArray(),
        };
        await using RunningDaemon daemon = await StartAsync(upstream, more: config => config
            .Set("Devices:LeaseFiles:0", "dnsmasq.leases")
            .Set("Devices:NameServer", router.Address));

        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.9", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.10", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.11", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");
        var inventory = daemon.Get<DeviceInventory>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (inventory.Find("127.0.0.9")?.HostName is null || inventory.Find("127.0.0.10")?.HostName is null)
        {
            await Task.Delay(50, deadline.Token); // the names arrive in the background
        }

        Assert.AreEqual("kitchen-tv", inventory.Find("127.0.0.9")!.HostName);
        Assert.AreEqual("guest-phone.lan", inventory.Find("127.0.0.10")!.HostName);
        Assert.IsNull(inventory.Find("127.0.0.11")!.HostName);
        Assert.IsNull(inventory.Find("old-phone")!.HostName, "configured devices have their config name");
    }

    [TestMethod]
    public async Task AutoPolicyTurnedOnLater_AppliesToClientsFlaggedBefore()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using (RunningDaemon observing = await StartAsync(upstream, defaultPolicy: "observe", dataDirectory: data.Path))
        {
            DigResult logged = await Dig.RunAsync(observing.EndPoint, "-b", "127.0.0.9", "tracking.miui.com", "A");
            DigResult again = await Dig.RunAsync(observing.EndPoint, "-b", "127.0.0.9", "data.mistat.xiaomi.com", "A");
            Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", logged.Answers.Single());
            Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", again.Answers.Single(), "flagged, but no AutoPolicy yet");
        }

        await using RunningDaemon blocking = await StartAsync(upstream, defaultPolicy: "observe", autoPolicy: "strict", dataDirectory: data.Path);
        DigResult blocked = await Dig.RunAsync(blocking.EndPoint, "-b", "127.0.0.9", "tracking.miui.com", "A");
        DigResult stranger = await Dig.RunAsync(blocking.EndPoint, "-b", "127.0.0.10", "tracking.miui.com", "A");

        Assert.AreEqual("tracking.miui.com. 60 IN A 0.0.0.0", blocked.Answers.Single(), "the client flagged before gets the new AutoPolicy");
        Assert.AreEqual("tracking.miui.com. 300 IN A 192.0.2.1", stranger.Answers.Single());
        Assert.AreEqual("strict", blocking.Get<DeviceInventory>().Find("127.0.0.9")!.AutoPolicy);
    }
}
