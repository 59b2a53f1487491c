using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// The household the encrypted-listener tests run: kids-tablet (strict) named by its client ID,
/// the laptop (strict) by 127.0.0.1, everyone else observed; tracking.miui.com is telemetry.
/// </summary>
internal static class ClientIdHousehold
{
    public static Task<RunningDaemon> StartAsync(FakeUpstream upstream, Action<TestConfig> listeners)
    {
        TestConfig config = new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .Policy("strict", block: ["xiaomi-telemetry"])
            .Policy("observe", log: ["xiaomi-telemetry"])
            .DefaultPolicy("observe")
            .Device("kids-tablet", "strict", "clientid:kids-tablet")
            .Device("laptop", "strict", "127.0.0.1");
        listeners(config);
        return RunningDaemon.StartAsync(config.Values, new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\n" });
    }
}
