using System.Net;
using Microsoft.Extensions.Configuration;
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

    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(Dictionary<string, string?> values)
    {
        values["Lists:xiaomi:Sources:0"] = "/dev/null";
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return SinkholeConfigReader.Read(configuration, Path.GetTempPath());
    }

    private static Dictionary<string, string?> Family() => new()
    {
        ["Schedules:school-nights:0"] = "Sun-Thu 21:00-07:00",
        ["Policies:kids-night:Block:0"] = "xiaomi",
        ["Policies:kids-night:Schedule"] = "school-nights",
        ["Policies:kids-night:Otherwise"] = "kids-day",
        ["Policies:kids-day:Log:0"] = "xiaomi",
        ["Policies:weekend-only:Block:0"] = "xiaomi",
        ["Policies:weekend-only:Schedule"] = "weekend",
        ["Schedules:weekend:0"] = "Sat,Sun 00:00-24:00",
        ["Devices:tablet:Match:0"] = "192.168.1.64",
        ["Devices:tablet:Policy"] = "kids-night",
        ["Devices:console:Match:0"] = "192.168.1.65",
        ["Devices:console:Policy"] = "weekend-only",
        ["DefaultPolicy"] = "kids-day",
    };

    [TestMethod]
    public void ScheduleProblems_AreReportedWithTheirKeys()
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Schedules:bad:0"] = "Mon-Fry 21:00-07:00",
            ["Policies:a:Block:0"] = "xiaomi",
            ["Policies:a:Schedule"] = "nights",
            ["Policies:b:Block:0"] = "xiaomi",
            ["Policies:b:Otherwise"] = "a",
            ["Schedules:ok:0"] = "daily 21:00-07:00",
            ["Policies:c:Schedule"] = "ok",
            ["Policies:c:Otherwise"] = "d",
            ["Policies:d:Schedule"] = "ok",
            ["Policies:d:Otherwise"] = "c",
            ["Policies:e:Schedule"] = "ok",
            ["Policies:e:Otherwise"] = "nobody",
        });

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
        var stage = new DeviceStage(engine, new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(time, NullLogger<BlockingPause>.Instance), time));
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
