using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Tests.Stages;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Discovery;

/// <summary>The review's view of the inventory: by name, newest first, per device, and only what the current rules still leave undecided.</summary>
[TestClass]
public sealed class UnclassifiedNamesTests
{
    private static SinkholeOptions Options(TempDirectory dir) => new TestConfig()
        .List("xiaomi-zones", "zones.txt")
        .List("local-known", "known.txt")
        .Set("Discovery:Zones:0", "xiaomi-zones")
        .Policy("strict")
        .Device("phone", "strict", "192.168.1.2")
        .Read(dir.Path);

    private static QueryContext Asked(ConfigSnapshot rules, ClientPolicyResolver resolver, string client, string name)
    {
        QueryContext context = new StageHarness().Query(name, client: client).Context;
        context.Config = rules;
        context.ClientPolicy = resolver.Resolve(rules, ClientIdentity.FromAddress(context.Client));
        context.UnclassifiedList = "xiaomi-zones";
        return context;
    }

    [TestMethod]
    public void Report_GroupsByName_NewestFirst_FiltersByDevice_AndDropsWhatIsDecidedNow()
    {
        using var dir = new TempDirectory();
        dir.Write("zones.txt", "xiaomi.com\n");
        dir.Write("known.txt", "");
        SinkholeOptions options = Options(dir);
        var meters = TestMeters.Factory();
        var config = new ActiveConfig(NullLogger<ActiveConfig>.Instance, meters);
        config.Load(options);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        (DeviceInventory inventory, ClientPolicyResolver resolver) = MiSinkhole.Core.Tests.Inventory.TestInventory.Create(time, meters: meters);
        var unclassified = new UnclassifiedNames(inventory, config, meters);
        using var gauge = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.unclassified.names");

        inventory.Record(Asked(config.Current, resolver, "192.168.1.2", "stat.new.xiaomi.com"));
        time.Advance(TimeSpan.FromMinutes(1));
        inventory.Record(Asked(config.Current, resolver, "192.168.1.9", "stat.new.xiaomi.com"));
        inventory.Record(Asked(config.Current, resolver, "192.168.1.9", "benign.xiaomi.com"));
        time.Advance(TimeSpan.FromMinutes(1));
        inventory.Record(Asked(config.Current, resolver, "192.168.1.2", "latest.xiaomi.com"));
        UnclassifiedReport all = unclassified.Report();
        UnclassifiedReport phone = unclassified.Report("phone");
        UnclassifiedReport others = unclassified.Report("unknown");
        UnclassifiedReport byAddress = unclassified.Report("192.168.1.9");
        gauge.RecordObservableInstruments();
        string[] perDevice = [.. gauge.GetMeasurementSnapshot().Select(m => $"{m.Tags["device"]}={m.Value}").Order()];
        dir.Write("known.txt", "benign.xiaomi.com\n"); // reviewed as known
        config.Reload();
        UnclassifiedReport reviewed = unclassified.Report();

        CollectionAssert.AreEqual(new[] { "latest.xiaomi.com", "benign.xiaomi.com", "stat.new.xiaomi.com" }, all.Names.Select(n => n.Name).ToArray());
        UnclassifiedNameReport stat = all.Names[2];
        Assert.AreEqual(("xiaomi.com", "xiaomi-zones", "telemetry", 2L), (stat.Zone, stat.List, stat.Suggested, stat.Count));
        CollectionAssert.AreEqual(new[] { "192.168.1.9 unknown 1", "phone phone 1" }, stat.Clients.Select(c => $"{c.Client} {c.Device} {c.Count}").ToArray());
        Assert.AreEqual((stat.Clients[1].FirstSeen, stat.Clients[0].LastSeen), (stat.FirstSeen, stat.LastSeen));
        CollectionAssert.AreEqual(new[] { "latest.xiaomi.com", "stat.new.xiaomi.com" }, phone.Names.Select(n => n.Name).ToArray());
        Assert.AreEqual(1, phone.Names[1].Count, "only the phone's own queries");
        CollectionAssert.AreEqual(new[] { "benign.xiaomi.com", "stat.new.xiaomi.com" }, others.Names.Select(n => n.Name).ToArray());
        CollectionAssert.AreEqual(others.Names.Select(n => n.Name).ToArray(), byAddress.Names.Select(n => n.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "phone=2", "unknown=2" }, perDevice);
        CollectionAssert.AreEqual(new[] { "latest.xiaomi.com", "stat.new.xiaomi.com" }, reviewed.Names.Select(n => n.Name).ToArray(), "decided since: off the list");
        Assert.AreEqual("benign.xiaomi.com", inventory.Find("192.168.1.9")!.Unclassified.Select(u => u.Name).Order().First(), "the inventory keeps what it recorded");
    }
}
