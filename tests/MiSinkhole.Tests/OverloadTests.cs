using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>When every query context waits on a silent upstream, new UDP queries are dropped, and counted.</summary>
[TestClass]
public sealed class OverloadTests
{
    [TestMethod]
    public async Task QueriesDroppedAtMaxInFlight_AreCountedAsDropped()
    {
        await using var silent = new FakeUpstream { Handler = _ => FakeReply.Drop };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(silent.Address).Set("Dns:MaxInFlight", "16").Values);

        // 16 distinct names occupy every context for the 2-second upstream budget; 8 more find none.
        using var queries = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.dns.queries");
        Task[] waiting = [.. Enumerable.Range(0, 24).Select(i => RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"slow{i}.example", 1, (ushort)i), TimeSpan.FromSeconds(3)))];
        long dropped = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(5); dropped == 0 && DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            queries.RecordObservableInstruments();
            dropped = queries.LastMeasurement is null ? 0 : queries.GetMeasurementSnapshot(clear: true)
                .Where(m => m.Tags.TryGetValue("outcome", out object? outcome) && (string?)outcome == "dropped").Sum(m => m.Value);
        }

        await Task.WhenAll(waiting);

        Assert.IsGreaterThanOrEqualTo(1, dropped, "queries arriving while all contexts wait are counted as dropped");
    }
}
