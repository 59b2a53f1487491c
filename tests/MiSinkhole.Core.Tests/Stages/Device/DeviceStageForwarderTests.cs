using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Stages.Device;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Device;

/// <summary>Queries a forwarding router sends with its client named in EDNS options (ECS, dnsmasq's add-mac).</summary>
[TestClass]
public sealed class DeviceStageForwarderTests
{
    private const string Router = "192.168.1.1";

    private static readonly byte[] TabletEcs = RawMessage.EdnsOption(8, [0, 1, 32, 0, 192, 168, 1, 64]);
    private static readonly byte[] PhoneMac = RawMessage.EdnsOption(65001, [0xa4, 0x50, 0x46, 0, 0, 1]);

    private static (DeviceStage Stage, IMeterFactory Meters) Stage(TempDirectory dir)
    {
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(new TestConfig()
            .List("telemetry", "telemetry.txt")
            .Policy("strict", block: ["telemetry"])
            .Policy("observe", log: ["telemetry"])
            .Device("phone", "observe", "a4:50:46:00:00:01")
            .Device("tablet", "observe", "192.168.1.64")
            .Device("router", "strict", Router)
            .DefaultPolicy("strict")
            .Set("Devices:TrustedForwarders:0", Router)
            .Read(dir.Path));
        var time = new FakeTimeProvider();
        IMeterFactory meters = TestMeters.Factory();
        var resolver = new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(time, NullLogger<BlockingPause>.Instance), time);
        return (new DeviceStage(engine, resolver, meters), meters);
    }

    private static StageHarness Query(string client, params byte[][] options) =>
        new StageHarness().Query(RawMessage.Query("tracking.miui.com", 1, edns: true, ednsOptions: [.. options.SelectMany(o => o)]), client);

    [TestMethod]
    public async Task TrustedForwarder_WithEcs_IsDecidedForTheAddressItNames()
    {
        using var dir = new TempDirectory();
        (DeviceStage stage, IMeterFactory meters) = Stage(dir);
        using var counted = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.forwarder.client_options");
        StageHarness tablet = Query(Router, TabletEcs);

        await stage.InvokeAsync(tablet.Context, tablet.Next);

        Assert.AreEqual("tablet", tablet.Context.Device);
        Assert.AreEqual("observe", tablet.Context.ClientPolicy.Policy.Name);
        Assert.AreEqual("192.168.1.64", tablet.Context.Client.ToString(), "rate limits, the inventory and the log see the device");
        Assert.AreEqual(Router, tablet.Context.Forwarder?.ToString());
        Assert.AreEqual(1, tablet.NextCalls);
        Assert.AreEqual("used", counted.LastMeasurement?.Tags["result"]);
    }

    [TestMethod]
    public async Task TrustedForwarder_WithMacOnly_IsDecidedForTheMac_AndKeepsItsOwnAddressAsTheClient()
    {
        using var dir = new TempDirectory();
        (DeviceStage stage, _) = Stage(dir);
        StageHarness phone = Query(Router, PhoneMac);

        await stage.InvokeAsync(phone.Context, phone.Next);

        Assert.AreEqual("phone", phone.Context.Device, "by the MAC the router named, not the router's own device");
        Assert.AreEqual("observe", phone.Context.ClientPolicy.Policy.Name);
        Assert.AreEqual(Router, phone.Context.Client.ToString());
        Assert.AreEqual(Router, phone.Context.Forwarder?.ToString());
    }

    [TestMethod]
    public async Task TrustedForwarder_WithASubnet_IsNoDevice_ButStillAForwardedQuery()
    {
        using var dir = new TempDirectory();
        (DeviceStage stage, _) = Stage(dir);
        StageHarness query = Query(Router, RawMessage.EdnsOption(8, [0, 1, 24, 0, 192, 168, 1]));

        await stage.InvokeAsync(query.Context, query.Next);

        Assert.AreEqual("unknown", query.Context.Device, "a /24 names no one: not the router's device either");
        Assert.AreEqual("strict", query.Context.ClientPolicy.Policy.Name);
        Assert.AreEqual(Router, query.Context.Forwarder?.ToString());
    }

    [TestMethod]
    public async Task UntrustedSender_WithTheSameOptions_IsDecidedForItself_AndCountedAsIgnored()
    {
        using var dir = new TempDirectory();
        (DeviceStage stage, IMeterFactory meters) = Stage(dir);
        using var counted = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.forwarder.client_options");
        StageHarness spoof = Query("192.168.1.99", TabletEcs, PhoneMac);

        await stage.InvokeAsync(spoof.Context, spoof.Next);

        Assert.AreEqual("unknown", spoof.Context.Device, "a client cannot claim to be the tablet or the phone");
        Assert.AreEqual("strict", spoof.Context.ClientPolicy.Policy.Name);
        Assert.AreEqual("192.168.1.99", spoof.Context.Client.ToString());
        Assert.IsNull(spoof.Context.Forwarder);
        Assert.AreEqual("ignored", counted.LastMeasurement?.Tags["result"]);
    }

    [TestMethod]
    public async Task TrustedForwarder_WithoutOptions_IsItsOwnDevice_AndNotCounted()
    {
        using var dir = new TempDirectory();
        (DeviceStage stage, IMeterFactory meters) = Stage(dir);
        using var counted = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.forwarder.client_options");
        StageHarness own = Query(Router);

        await stage.InvokeAsync(own.Context, own.Next);

        Assert.AreEqual("router", own.Context.Device);
        Assert.IsNull(own.Context.Forwarder);
        Assert.IsEmpty(counted.GetMeasurementSnapshot());
    }
}
