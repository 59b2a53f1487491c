using System.Diagnostics.Metrics;
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
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new Dictionary<string, string?>
        {
            ["Upstreams:Servers:0"] = silent.Address,
            ["Dns:MaxInFlight"] = "16",
        });

        // 16 distinct names occupy every context for the 2-second upstream budget; 8 more find none.
        Task[] waiting = [.. Enumerable.Range(0, 24).Select(i => RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"slow{i}.example", 1, (ushort)i), TimeSpan.FromSeconds(3)))];
        await Task.Delay(500);
        long dropped = DroppedQueries(daemon);
        await Task.WhenAll(waiting);

        Assert.IsGreaterThanOrEqualTo(1, dropped, "queries arriving while all contexts wait are counted as dropped");
    }

    private static long DroppedQueries(RunningDaemon daemon)
    {
        object scope = daemon.Get<IMeterFactory>();
        long dropped = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "misinkhole.dns.queries" && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "outcome" && (string?)tag.Value == "dropped")
                {
                    dropped += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return dropped;
    }
}
