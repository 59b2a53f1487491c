using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Per-device policy through the running daemon: the client's source address decides.</summary>
[TestClass]
public sealed class DeviceTests
{
    private const string Telemetry = "data.mistat.xiaomi.com\ntracking.miui.com\n";

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream) =>
        RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .Policy("strict", block: ["xiaomi-*"])
                .Policy("observe", log: ["xiaomi-*"])
                .Device("old-phone", "strict", "127.0.0.2")
                .Device("new-phone", "observe", "127.0.0.3/32")
                .DefaultPolicy("strict")
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = Telemetry });

    [TestMethod]
    public async Task SameName_BlockedForOneDevice_LoggedAndAnsweredForTheOther()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult blocked = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        DigResult blockedTcp = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "+tcp", "data.mistat.xiaomi.com", "AAAA");
        Assert.AreEqual(0, upstream.Count, "a blocked name is never sent upstream");
        DigResult logged = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
        DigResult other = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.4", "tracking.miui.com", "A");

        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", blocked.Answers.Single(), blocked.Output);
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN AAAA ::", blockedTcp.Answers.Single(), blockedTcp.Output);
        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", logged.Answers.Single(), logged.Output);
        Assert.AreEqual(1, upstream.Count, "the logged query went upstream");
        Assert.AreEqual("tracking.miui.com. 60 IN A 0.0.0.0", other.Answers.Single(), "a client that is no device gets DefaultPolicy");
    }

    [TestMethod]
    public async Task PausedDevice_IsAnsweredNormally_UntilBlockingResumes()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        var pause = daemon.Get<MiSinkhole.Core.Devices.BlockingPause>();

        pause.Pause("old-phone", TimeSpan.FromMinutes(30));
        DigResult paused = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        DigResult otherClient = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.4", "data.mistat.xiaomi.com", "A");
        pause.Resume("old-phone");
        DigResult resumed = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");

        Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", paused.Answers.Single(), paused.Output);
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", otherClient.Answers.Single(), "the pause was for one device");
        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", resumed.Answers.Single(), "blocked again, although the answer is cached");
    }

    [TestMethod]
    public async Task CnameTargets_GetTheSameDevicesPolicy()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Name == "cloaked.example.org"
            ? RawMessage.ResponseTo(q.Raw).Cname(null, 300, "tracking.miui.com").A("tracking.miui.com", 300, "198.51.100.1").ToArray()
            : FakeUpstream.DefaultAnswer(q);
        await using RunningDaemon daemon = await StartAsync(upstream);

        DigResult observed = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "cloaked.example.org", "A");
        DigResult blocked = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "cloaked.example.org", "A");

        Assert.HasCount(2, observed.Answers, observed.Output);
        Assert.AreEqual("cloaked.example.org. 60 IN A 0.0.0.0", blocked.Answers.Single(), "the cached answer, inspected for the strict device");
    }
}
