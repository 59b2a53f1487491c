using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Policies;

/// <summary>
/// Device × list × rule → outcome, decided exactly as the device and policy stages decide it
/// (one compiled snapshot, the device's policy, the name's rule match).
/// </summary>
[TestClass]
public sealed class PolicyMatrixTests
{
    private static TempDirectory s_dir = null!;
    private static ConfigSnapshot s_snapshot = null!;

    [ClassInitialize]
    public static void Compile(TestContext context)
    {
        s_dir = new TempDirectory();
        s_dir.Write("telemetry.txt", "||tracking.example^\n||important.example^$important\n@@||ok.tracking.example^\n");
        s_dir.Write("ads.txt", "0.0.0.0 ads.example\n0.0.0.0 x.important.example\n");
        s_dir.Write("essential.txt", "update.tracking.example\nimportant.example\n");
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .List("telemetry", "telemetry.txt")
            .List("ads", "ads.txt")
            .List("essential", "essential.txt")
            .Policy("strict", block: ["telemetry", "ads"], allow: ["essential"])
            .Policy("observe", log: ["telemetry", "ads"], allow: ["essential"])
            .Policy("mixed", block: ["ads"], log: ["telemetry"])
            .Policy("open", blockTtl: "60s")
            .DefaultPolicy("strict")
            .Device("phone", "strict", "192.168.1.10")
            .Device("new-phone", "observe", "192.168.1.11")
            .Device("kids", "mixed", "192.168.1.12")
            .Device("laptop", "open", "192.168.1.13")
            .ReadWithProblems(s_dir.Path);
        Assert.IsEmpty(problems, string.Join("\n", problems));
        (s_snapshot, List<MiSinkhole.Rules.RuleListError> errors) = ActiveConfig.Compile(options);
        Assert.IsEmpty(errors);
    }

    [ClassCleanup]
    public static void Cleanup() => s_dir.Dispose();

    [TestMethod]
    [DataRow("192.168.1.10", "a.tracking.example", PolicyAction.Blocked, "telemetry")]
    [DataRow("192.168.1.10", "ok.tracking.example", PolicyAction.Allowed, "telemetry", DisplayName = "phone: @@ exception beats the block")]
    [DataRow("192.168.1.10", "update.tracking.example", PolicyAction.Allowed, "essential", DisplayName = "phone: Allow list beats the block")]
    [DataRow("192.168.1.10", "x.important.example", PolicyAction.Blocked, "telemetry", DisplayName = "phone: $important beats the Allow list")]
    [DataRow("192.168.1.10", "ads.example", PolicyAction.Blocked, "ads")]
    [DataRow("192.168.1.10", "example.org", PolicyAction.None, null)]
    [DataRow("192.168.1.11", "a.tracking.example", PolicyAction.Logged, "telemetry", DisplayName = "new phone: log only")]
    [DataRow("192.168.1.11", "important.example", PolicyAction.Logged, "telemetry", DisplayName = "new phone: $important in a Log list beats Allow, still only logged")]
    [DataRow("192.168.1.11", "update.tracking.example", PolicyAction.Allowed, "essential")]
    [DataRow("192.168.1.12", "ads.example", PolicyAction.Blocked, "ads", DisplayName = "kids: ads blocked")]
    [DataRow("192.168.1.12", "a.tracking.example", PolicyAction.Logged, "telemetry", DisplayName = "kids: telemetry logged")]
    [DataRow("192.168.1.12", "update.tracking.example", PolicyAction.Logged, "telemetry", DisplayName = "kids: essential is not an Allow list of this policy")]
    [DataRow("192.168.1.12", "x.important.example", PolicyAction.Blocked, "ads", DisplayName = "kids: $important in the Log list does not override the Block list")]
    [DataRow("192.168.1.11", "x.important.example", PolicyAction.Logged, "telemetry", DisplayName = "new phone: $important Log beats Allow even where another Log list holds it")]
    [DataRow("192.168.1.13", "a.tracking.example", PolicyAction.None, null, DisplayName = "laptop: an empty policy leaves everything alone")]
    [DataRow("10.9.9.9", "a.tracking.example", PolicyAction.Blocked, "telemetry", DisplayName = "unknown client: DefaultPolicy")]
    [DataRow("10.9.9.9", "ok.tracking.example", PolicyAction.Allowed, "telemetry")]
    public void Outcome(string client, string name, PolicyAction expected, string? list)
    {
        ConfiguredDevice? device = s_snapshot.Devices.Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse(client))), NoNeighbours.Instance);
        CompiledPolicy policy = device?.Policy ?? s_snapshot.DefaultPolicy;

        PolicyDecision decision = policy.Decide(s_snapshot.Rules.Match(DnsName.FromText(name), DnsRecordType.A));

        Assert.AreEqual(expected, decision.Action);
        Assert.AreEqual(list, decision.ListIndex >= 0 ? s_snapshot.ListName(decision.ListIndex) : null);
    }
}
