using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Core.Stages.Device;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Policies;

/// <summary>Scheduled policies in config and in the device stage, in the host's local time zone.</summary>
[TestClass]
public sealed class PolicyScheduleTests
{
    /// <summary>UTC+1 without daylight saving: local 21:00 is 20:00 UTC.</summary>
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("Test+1", TimeSpan.FromHours(1), "Test+1", "Test+1");

    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(TestConfig config) =>
        config.List("xiaomi", "/dev/null").ReadWithProblems(Path.GetTempPath());

    private static TestConfig Family() => new TestConfig()
        .Schedule("school-nights", "Sun-Thu 21:00-07:00")
        .Policy("kids-night", block: ["xiaomi"], schedule: "school-nights", otherwise: "kids-day")
        .Policy("kids-day", log: ["xiaomi"])
        .Policy("weekend-only", block: ["xiaomi"], schedule: "weekend")
        .Schedule("weekend", "Sat,Sun 00:00-24:00")
        .Device("tablet", "kids-night", "192.168.1.64")
        .Device("console", "weekend-only", "192.168.1.65")
        .DefaultPolicy("kids-day");

    [TestMethod]
    public void ScheduleProblems_AreReportedWithTheirKeys()
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new TestConfig()
            .Schedule("bad", "Mon-Fry 21:00-07:00")
            .Policy("a", block: ["xiaomi"], schedule: "nights")
            .Policy("b", block: ["xiaomi"], otherwise: "a")
            .Schedule("ok", "daily 21:00-07:00")
            .Policy("c", schedule: "ok", otherwise: "d")
            .Policy("d", schedule: "ok", otherwise: "c")
            .Policy("e", schedule: "ok", otherwise: "nobody"));

        string all = string.Join("\n", problems);
        StringAssert.Contains(all, "Schedules:bad: window \"Mon-Fry 21:00-07:00\": unknown day \"Fry\"");
        StringAssert.Contains(all, "Policies:a:Schedule: no schedule named 'nights'");
        StringAssert.Contains(all, "Policies:b:Otherwise: Otherwise needs a Schedule");
        StringAssert.Contains(all, "Policies:c:Otherwise: 'c' comes back to 'c' through Otherwise: a loop");
        StringAssert.Contains(all, "Policies:e:Otherwise: unknown policy 'nobody'");
    }

    [TestMethod]
    [DataRow("2026-11-22T19:59:00Z", "tablet", "kids-day", DisplayName = "Sunday 20:59 local: before the window")]
    [DataRow("2026-11-22T20:00:00Z", "tablet", "kids-night", DisplayName = "Sunday 21:00 local: the window starts")]
    [DataRow("2026-11-22T23:30:00Z", "tablet", "kids-night", DisplayName = "Monday 00:30 local: past midnight, still Sunday's window")]
    [DataRow("2026-11-23T05:59:00Z", "tablet", "kids-night", DisplayName = "Monday 06:59 local")]
    [DataRow("2026-11-23T06:00:00Z", "tablet", "kids-day", DisplayName = "Monday 07:00 local: the end is exclusive")]
    [DataRow("2026-11-27T21:00:00Z", "tablet", "kids-day", DisplayName = "Friday 22:00 local: Friday is no school night")]
    [DataRow("2026-11-28T03:00:00Z", "tablet", "kids-day", DisplayName = "Saturday 04:00 local")]
    [DataRow("2026-11-28T12:00:00Z", "console", "weekend-only", DisplayName = "Saturday: the console's policy applies")]
    [DataRow("2026-11-23T12:00:00Z", "console", "none", DisplayName = "Monday: outside its schedule without Otherwise, nothing applies")]
    public async Task DeviceStage_AppliesThePolicyInForceInLocalTime(string utc, string device, string expected)
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(Family());
        Assert.IsEmpty(problems, string.Join("\n", problems));
        var time = new FakeTimeProvider(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));
        time.SetLocalTimeZone(Zone);
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(options);
        var stage = new DeviceStage(engine, new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(time, NullLogger<BlockingPause>.Instance), time), TestMeters.Factory());
        var context = new QueryContext { Client = ClientAddress.FromIPAddress(IPAddress.Parse(device == "tablet" ? "192.168.1.64" : "192.168.1.65")) };

        await stage.InvokeAsync(context, _ => default);

        Assert.AreEqual(device, context.Device);
        Assert.AreEqual(expected, context.ClientPolicy.Policy.Name);
    }

    [TestMethod]
    public void Effective_FollowsTheClockAcrossChanges_NotJustTheFirstAnswer()
    {
        (SinkholeOptions options, _) = Read(Family());
        (ConfigSnapshot snapshot, _) = ActiveConfig.Compile(options);
        CompiledPolicy night = snapshot.Policies["kids-night"];
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 19, 0, 0, TimeSpan.Zero)); // Sunday 20:00 local
        time.SetLocalTimeZone(Zone);

        string[] seen = new string[4];
        seen[0] = night.Effective(time).Name;
        time.Advance(TimeSpan.FromHours(1)); // 21:00
        seen[1] = night.Effective(time).Name;
        time.Advance(TimeSpan.FromHours(10)); // Monday 07:00
        seen[2] = night.Effective(time).Name;
        time.AdjustTime(new DateTimeOffset(2026, 11, 22, 21, 0, 0, TimeSpan.Zero)); // the clock set back: Sunday 22:00
        seen[3] = night.Effective(time).Name;

        CollectionAssert.AreEqual(new[] { "kids-day", "kids-night", "kids-day", "kids-night" }, seen);
    }
}
