using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Explain;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Clients;

/// <summary>
/// Explain promises the verdict a client gets. For a config with devices (by address, MAC, range
/// and without a policy), schedules with and without <c>Otherwise</c>, an auto policy and pauses,
/// at instants across a week, every client's answer from the assembled pipeline is compared with
/// what explain says for that client (by address, and by name for configured devices).
/// </summary>
[TestClass]
public sealed class ExplainMatchesPipelineTests
{
    /// <summary>UTC+1 without daylight saving.</summary>
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("Test+1", TimeSpan.FromHours(1), "Test+1", "Test+1");

    private static readonly string[] Clients = ["192.168.1.64", "192.168.1.50", "fd00::50", "192.168.1.130", "192.168.1.20", "10.0.0.7", "10.0.0.8"];

    private static readonly string[] Names = ["data.mistat.xiaomi.com", "tracking.miui.com", "safe.tracking.miui.com", "ads.example", "www.example.org"];

    private static TestConfig Config(string upstream) => new TestConfig()
        .Upstream(upstream)
        .List("xiaomi-telemetry", "xiaomi.txt")
        .List("ads", "ads.txt")
        .List("essential", "essential.txt")
        .Schedule("nights", "Sun-Thu 21:00-07:00")
        .Schedule("weekend", "Sat,Sun 00:00-24:00")
        .Policy("strict", block: ["xiaomi-telemetry", "ads"], allow: ["essential"])
        .Policy("observe", log: ["xiaomi-telemetry", "ads"], allow: ["essential"])
        .Policy("night", block: ["xiaomi-telemetry"], schedule: "nights", otherwise: "observe")
        .Policy("weekend-only", block: ["ads"], schedule: "weekend")
        .Device("tablet", "night", "192.168.1.64")
        .Device("phone", "strict", "a4:50:46:00:00:01")
        .Device("kids", "weekend-only", "192.168.1.128/25")
        .Device("laptop", null, "192.168.1.20")
        .DefaultPolicy("observe")
        .AutoPolicy("strict");

    [TestMethod]
    public async Task Explain_GivesTheVerdictThePipelineGives_ForEveryClientAtEveryInstant()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        dir.Write("xiaomi.txt", "data.mistat.xiaomi.com\ntracking.miui.com\n");
        dir.Write("ads.txt", "ads.example\n");
        dir.Write("essential.txt", "safe.tracking.miui.com\n");
        SinkholeOptions options = Config(upstream.Address).Set("DataDirectory", dir.Path).Read(dir.Path);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero)); // a Sunday
        time.SetLocalTimeZone(Zone);
        var neighbours = new FakeNeighbours(new() { ["192.168.1.50"] = "a4:50:46:00:00:01", ["fd00::50"] = "a4:50:46:00:00:01" });
        using ServiceProvider services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddQueryPipeline(options)
            .AddSingleton<TimeProvider>(time)
            .AddSingleton<INeighbourTable>(neighbours)
            .BuildServiceProvider();
        services.GetRequiredService<ActiveConfig>().Load(options);
        QueryPipeline pipeline = services.GetRequiredService<QueryPipeline>();
        RuleExplainer explainer = services.GetRequiredService<RuleExplainer>();
        BlockingPause pause = services.GetRequiredService<BlockingPause>();
        var context = new QueryContext();

        // 10.0.0.7 asks for telemetry once while observed: the inventory flags it, the auto policy applies from then on.
        await RunAsync(pipeline, context, "10.0.0.7", "tracking.miui.com");
        Assert.AreEqual(PolicyAction.Logged, context.PolicyAction);

        var compared = new HashSet<string>();
        for (int step = 0; step < 48; step++)
        {
            // Every 3 h 37 min: across a week, in and out of both schedules, with pauses starting and ending.
            if (step % 7 == 2)
            {
                pause.Pause("tablet", TimeSpan.FromHours(5));
            }

            if (step % 11 == 5)
            {
                pause.PauseAll(TimeSpan.FromHours(2));
            }

            if (step % 13 == 8)
            {
                pause.Pause("unknown", TimeSpan.FromHours(4));
            }

            foreach (string client in Clients)
            {
                foreach (string name in Names)
                {
                    // Explained first: the answer may flag the client as a Xiaomi device, which changes the next one.
                    Explanation explained = explainer.Explain(name, "A", client);
                    await RunAsync(pipeline, context, client, name);
                    string at = $"{time.GetLocalNow():ddd HH:mm} {client} {name}";
                    Assert.AreEqual(context.Device, explained.Device, at);
                    Assert.AreEqual(context.ClientPolicy.Policy.Name, explained.Policy, at);
                    Assert.AreEqual(context.PolicyAction, explained.Action, at);
                    Assert.AreEqual(context.MatchedList, explained.DecidingList, at);
                    Assert.AreEqual(context.PolicyAction == PolicyAction.Blocked, context.Outcome == Outcome.Blocked, at);
                    Assert.AreEqual(context.ClientPolicy.PausedUntil, explained.PausedUntil, at);
                    if (context.ClientPolicy.Device is { } device)
                    {
                        Assert.AreEqual(explained with { Rules = [] }, explainer.Explain(name, "A", device.Name) with { Rules = [] }, at + " (by device name)");
                    }

                    compared.Add($"{context.Device}/{context.ClientPolicy.Policy.Name}/{context.ClientPolicy.Source}/{context.ClientPolicy.IsPaused}/{context.PolicyAction}");
                }
            }

            time.Advance(TimeSpan.FromMinutes(217));
        }

        // The instants covered what could differ: auto policy, both sides of each schedule, pauses.
        foreach (string expected in new[]
        {
            "unknown/strict/AutoPolicy/False/Blocked", "unknown/strict/AutoPolicy/True/Logged", "unknown/observe/Default/False/Logged",
            "tablet/night/Device/False/Blocked", "tablet/night/Device/True/Logged", "tablet/observe/Device/False/Logged",
            "kids/weekend-only/Device/False/Blocked", "kids/none/Device/False/None", "phone/strict/Device/False/Blocked",
            "phone/strict/Device/True/Logged", "laptop/observe/Device/False/Logged", "phone/strict/Device/False/Allowed",
        })
        {
            CollectionAssert.Contains(compared.ToArray(), expected);
        }
    }

    private static async Task RunAsync(QueryPipeline pipeline, QueryContext context, string client, string name)
    {
        context.Reset();
        byte[] query = RawMessage.Query(name, 1, edns: true);
        query.CopyTo(context.RequestBuffer, 0);
        context.RequestLength = query.Length;
        context.Transport = DnsTransport.Udp;
        context.Client = ClientAddress.FromIPAddress(IPAddress.Parse(client), 40000);
        await pipeline.ProcessAsync(context);
        Assert.IsGreaterThan(0, context.ResponseLength, $"{client} {name}: answered");
    }
}
