using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Stages.Device;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Device;

[TestClass]
public sealed class DeviceStageTests
{
    [TestMethod]
    public async Task SetsTheSnapshot_AndWhatTheResolverSaysOfTheClient()
    {
        using var dir = new TempDirectory();
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(new TestConfig()
            .List("telemetry", "telemetry.txt")
            .Policy("strict", block: ["telemetry"])
            .Policy("observe", log: ["telemetry"])
            .Device("phone", "observe", "a4:50:46:00:00:01")
            .DefaultPolicy("strict")
            .Read(dir.Path));
        var time = new FakeTimeProvider();
        var pause = new BlockingPause(time, NullLogger<BlockingPause>.Instance);
        var neighbours = new FakeNeighbours(new() { ["fd00::50"] = "a4:50:46:00:00:01" });
        var stage = new DeviceStage(engine, new ClientPolicyResolver(neighbours, new XiaomiClients(), pause, time), TestMeters.Factory());
        var phone = new StageHarness().Query("tracking.miui.com", client: "fd00::50");
        var stranger = new StageHarness().Query("tracking.miui.com", client: "192.168.1.99");

        pause.Pause("phone", TimeSpan.FromMinutes(10));
        await stage.InvokeAsync(phone.Context, phone.Next);
        await stage.InvokeAsync(stranger.Context, stranger.Next);

        Assert.AreSame(engine.Current, phone.Context.Config);
        Assert.AreEqual("phone", phone.Context.Device, "by its MAC, from an IPv6 address");
        Assert.AreEqual("observe", phone.Context.ClientPolicy.Policy.Name);
        Assert.AreEqual(time.GetUtcNow().AddMinutes(10), phone.Context.ClientPolicy.PausedUntil);
        Assert.AreEqual(("unknown", "strict", false), (stranger.Context.Device, stranger.Context.ClientPolicy.Policy.Name, stranger.Context.ClientPolicy.IsPaused));
        Assert.AreEqual(2, phone.NextCalls + stranger.NextCalls);
    }
}
