using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.Stages.Accounting;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Accounting;

[TestClass]
public sealed class AccountingStageTests
{
    private static (AccountingStage Stage, QueryLogWriter Log, System.Diagnostics.Metrics.IMeterFactory Meters) Create(TempDirectory dir)
    {
        var meters = TestMeters.Factory();
        var options = new SinkholeOptions { QueryLog = new QueryLogOptions { Path = Path.Combine(dir.Path, "q.db"), Record = QueryLogRecordMode.All } };
        var log = new QueryLogWriter(options, new FakeTimeProvider(), NullLogger<QueryLogWriter>.Instance, meters);
        return (new AccountingStage(new QueryMetrics(meters), log), log, meters);
    }

    [TestMethod]
    public async Task AnsweredQuery_IsCountedByTransportTypeAndOutcome_Timed_AndLogged()
    {
        using var dir = new TempDirectory();
        (AccountingStage stage, QueryLogWriter log, var meters) = Create(dir);
        using var queries = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.dns.queries");
        using var duration = new MetricCollector<double>(meters, "MiSinkhole", "misinkhole.dns.query.duration");
        var harness = new StageHarness().Query("www.example.org", DnsRecordType.AAAA);
        harness.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("www.example.org", m => m.Aaaa(null, 300, "2001:db8::1"), DnsRecordType.AAAA));

        await stage.InvokeAsync(harness.Context, harness.Next);
        queries.RecordObservableInstruments();

        var counted = queries.LastMeasurement!;
        Assert.AreEqual(1L, counted.Value);
        Assert.AreEqual(("udp", "AAAA", "forwarded"), ((string?)counted.Tags["transport"], (string?)counted.Tags["qtype"], (string?)counted.Tags["outcome"]));
        Assert.AreEqual("forwarded", duration.LastMeasurement?.Tags["outcome"]);
        Assert.AreEqual(1, log.Flush(), "offered to the query log");
    }

    [TestMethod]
    public async Task PolicyMatch_IsCountedPerDeviceCategoryAndAction()
    {
        using var dir = new TempDirectory();
        (AccountingStage stage, _, var meters) = Create(dir);
        using var matches = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.policy.matches");
        var harness = new StageHarness().Query("tracking.miui.com");
        harness.Downstream = context =>
        {
            StageHarness.Forwarded(context, StageHarness.Answer("tracking.miui.com", m => m.A(null, 300, "192.0.2.1")));
            context.PolicyAction = PolicyAction.Logged;
            context.MatchedList = "xiaomi-telemetry";
        };

        await stage.InvokeAsync(harness.Context, harness.Next);
        await stage.InvokeAsync(harness.Query("tracking.miui.com").Context, harness.Next);
        matches.RecordObservableInstruments();

        var counted = matches.LastMeasurement!;
        Assert.AreEqual(2L, counted.Value);
        Assert.AreEqual(("unknown", "xiaomi-telemetry", "logged"), ((string?)counted.Tags["device"], (string?)counted.Tags["category"], (string?)counted.Tags["action"]));
    }

    [TestMethod]
    public void PolicyMatches_OfDevicesTakingTurns_AndOfTwoDaemonsOnOneThread_EachKeepTheirOwnCount()
    {
        // The counter of a thread's last match is remembered by reference: turns between devices,
        // lists and actions, and a second metrics instance used from the same thread, must not
        // count into each other's series; a reloaded config's equal names count into the same one.
        var firstMeters = TestMeters.Factory();
        var secondMeters = TestMeters.Factory();
        var first = new QueryMetrics(firstMeters);
        var second = new QueryMetrics(secondMeters);
        using var firstMatches = new MetricCollector<long>(firstMeters, "MiSinkhole", "misinkhole.policy.matches");
        using var secondMatches = new MetricCollector<long>(secondMeters, "MiSinkhole", "misinkhole.policy.matches");
        for (int i = 0; i < 3; i++)
        {
            first.RecordPolicyMatch("tv", "telemetry", PolicyAction.Blocked);
            first.RecordPolicyMatch("phone", "telemetry", PolicyAction.Blocked);
            second.RecordPolicyMatch("tv", "telemetry", PolicyAction.Blocked);
            first.RecordPolicyMatch("tv", "telemetry", PolicyAction.Logged);
            first.RecordPolicyMatch("tv", "analytics", PolicyAction.Logged);
            first.RecordPolicyMatch(new string("tv".AsSpan()), new string("telemetry".AsSpan()), PolicyAction.Blocked); // a reloaded config's strings
        }

        static Dictionary<string, long> Counts(MetricCollector<long> collector)
        {
            collector.RecordObservableInstruments();
            return collector.GetMeasurementSnapshot().GroupBy(m => $"{m.Tags["device"]}/{m.Tags["category"]}/{m.Tags["action"]}")
                .ToDictionary(g => g.Key, g => g.Last().Value);
        }

        var firstCounts = Counts(firstMatches);
        Assert.AreEqual(6L, firstCounts["tv/telemetry/blocked"]);
        Assert.AreEqual(3L, firstCounts["phone/telemetry/blocked"]);
        Assert.AreEqual(3L, firstCounts["tv/telemetry/logged"]);
        Assert.AreEqual(3L, firstCounts["tv/analytics/logged"]);
        Assert.AreEqual(4, firstCounts.Count);
        var secondCounts = Counts(secondMatches);
        Assert.AreEqual(3L, secondCounts["tv/telemetry/blocked"]);
        Assert.AreEqual(1, secondCounts.Count);
    }

    [TestMethod]
    public async Task Duration_StartsWhenTheTransportReceivedTheQuery()
    {
        using var dir = new TempDirectory();
        (AccountingStage stage, _, var meters) = Create(dir);
        using var duration = new MetricCollector<double>(meters, "MiSinkhole", "misinkhole.dns.query.duration");
        var harness = new StageHarness().Query("www.example.org");
        harness.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("www.example.org", m => m.A(null, 300, "192.0.2.1")));
        harness.Context.ReceivedAt = System.Diagnostics.Stopwatch.GetTimestamp() - 2 * System.Diagnostics.Stopwatch.Frequency; // the batch arrived 2 s ago

        await stage.InvokeAsync(harness.Context, harness.Next);
        double received = duration.LastMeasurement!.Value;
        await stage.InvokeAsync(harness.Query("www.example.org").Context, harness.Next); // no time from the transport: the stage's own
        double own = duration.LastMeasurement!.Value;

        Assert.IsTrue(received is >= 2 and < 60, $"{received} s from the transport's timestamp");
        Assert.IsTrue(own < 2, $"{own} s from the stage's own clock read");
    }

    [TestMethod]
    public async Task DroppedAndRefusedQueries_AreCounted_ButNotLogged()
    {
        using var dir = new TempDirectory();
        (AccountingStage stage, QueryLogWriter log, var meters) = Create(dir);
        using var queries = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.dns.queries");
        var dropped = new StageHarness().Query("a.example");
        var refused = new StageHarness().Query("b.example");
        refused.Downstream = context =>
        {
            context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.Refused);
            context.Outcome = Outcome.Refused;
        };

        await stage.InvokeAsync(dropped.Context, dropped.Next);
        await stage.InvokeAsync(refused.Context, refused.Next);
        queries.RecordObservableInstruments();

        string[] outcomes = [.. queries.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!).Distinct().Order()];
        CollectionAssert.AreEqual(new[] { "dropped", "refused" }, outcomes, "a chain that wrote nothing counts as dropped");
        Assert.AreEqual(0, log.Flush());
    }
}
