using System.Net;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Tests.QueryLog;

/// <summary>
/// The collapser's hashed keys (every field a row shows tells rows apart, the port and the time
/// within a minute do not) and its table (rows kept through its growth, forgotten ones, the cap, the minute).
/// </summary>
[TestClass]
public sealed class QueryLogCollapserTests
{
    private static QueryLogEvent Event(Action<QueryLogEvent>? change = null)
    {
        var e = new QueryLogEvent
        {
            UnixMilliseconds = 1_796_000_000_000 + 1_000,
            Device = "phone",
            Client = ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.9")),
            Type = 1,
            Outcome = Outcome.Blocked,
            Action = PolicyAction.Blocked,
            List = "telemetry",
            ResponseCode = 0,
            LatencyMilliseconds = 0.2,
        };
        byte[] wire = DnsName.FromText("data.mistat.xiaomi.com");
        wire.CopyTo(e.WireName, 0);
        e.WireNameLength = wire.Length;
        change?.Invoke(e);
        return e;
    }

    [TestMethod]
    public void SameQuery_FromAnotherPort_LaterInTheMinute_IsTheSameRow()
    {
        var collapser = new QueryLogCollapser();
        QueryLogCollapser.Key first = collapser.KeyOf(Event());
        QueryLogCollapser.Key retry = collapser.KeyOf(Event(e =>
        {
            e.Client = e.Client with { Port = 40001 };
            e.UnixMilliseconds += 30_000;
            e.LatencyMilliseconds = 9;
        }));

        Assert.AreEqual(first, retry);
        collapser.Remember(first, 7);
        Assert.IsTrue(collapser.TryGetRow(retry, out long id));
        Assert.AreEqual(7, id);
    }

    [TestMethod]
    public void AnyFieldARowShows_MakesAnotherRow()
    {
        var collapser = new QueryLogCollapser();
        QueryLogCollapser.Key original = collapser.KeyOf(Event());
        var changes = new Dictionary<string, Action<QueryLogEvent>>
        {
            ["minute"] = e => e.UnixMilliseconds += 60_000,
            ["device"] = e => e.Device = "tv",
            ["client"] = e => e.Client = ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.10")),
            ["family"] = e => e.Client = new ClientAddress(e.Client.Bits, false, 0), // ::c0a8:109
            ["name"] = e => { e.WireName[1] = (byte)'D'; },
            ["name length"] = e => e.WireNameLength = 6, // "\x04data" without the root: a prefix of the name
            ["type"] = e => e.Type = 28,
            ["outcome"] = e => e.Outcome = Outcome.Forwarded,
            ["action"] = e => e.Action = PolicyAction.Logged,
            ["list"] = e => e.List = "ads",
            ["list moved to unclassified"] = e => (e.List, e.Unclassified) = (null, "telemetry"),
            ["list into the device name"] = e => (e.Device, e.List) = ("phonetelemetry", ""),
            ["response code"] = e => e.ResponseCode = 3,
        };

        var seen = new HashSet<QueryLogCollapser.Key> { original };
        foreach ((string field, Action<QueryLogEvent> change) in changes)
        {
            Assert.IsTrue(seen.Add(collapser.KeyOf(Event(change))), $"a different {field} must be another row");
        }
    }

    private static QueryLogCollapser.Key KeyOfRow(QueryLogCollapser collapser, int row, long minuteOffset = 0) =>
        collapser.KeyOf(Event(e =>
        {
            e.Type = (ushort)(row & 0xFFFF);
            e.ResponseCode = row >> 16;
            e.UnixMilliseconds += minuteOffset * 60_000;
        }));

    [TestMethod]
    public void EveryRowOfABusyMinute_IsFound_ThroughTheTablesGrowth()
    {
        var collapser = new QueryLogCollapser();
        for (int row = 0; row < QueryLogCollapser.MaxRows; row++)
        {
            collapser.Remember(KeyOfRow(collapser, row), 1000 + row);
        }

        Assert.AreEqual(QueryLogCollapser.MaxRows, collapser.Count);
        for (int row = 0; row < QueryLogCollapser.MaxRows; row++)
        {
            Assert.IsTrue(collapser.TryGetRow(KeyOfRow(collapser, row), out long id), $"row {row}");
            Assert.AreEqual(1000 + row, id);
        }

        // Full: a new row is written without being remembered; a known one can still be updated.
        collapser.Remember(KeyOfRow(collapser, QueryLogCollapser.MaxRows), 1);
        Assert.IsFalse(collapser.TryGetRow(KeyOfRow(collapser, QueryLogCollapser.MaxRows), out _));
        collapser.Remember(KeyOfRow(collapser, 5), 42);
        Assert.IsTrue(collapser.TryGetRow(KeyOfRow(collapser, 5), out long updated));
        Assert.AreEqual(42, updated);
    }

    [TestMethod]
    public void AForgottenRow_IsNotFound_AndOthersBehindIt_Still_Are()
    {
        var collapser = new QueryLogCollapser();
        for (int row = 0; row < 400; row++)
        {
            collapser.Remember(KeyOfRow(collapser, row), 1000 + row);
        }

        for (int row = 0; row < 400; row += 2)
        {
            collapser.Forget(KeyOfRow(collapser, row));
        }

        for (int row = 0; row < 400; row++)
        {
            Assert.AreEqual(row % 2 == 1, collapser.TryGetRow(KeyOfRow(collapser, row), out long id), $"row {row}");
            Assert.AreEqual(row % 2 == 1 ? 1000 + row : 0, id);
        }

        collapser.Remember(KeyOfRow(collapser, 0), 7); // written again: remembered again
        Assert.IsTrue(collapser.TryGetRow(KeyOfRow(collapser, 0), out long again));
        Assert.AreEqual(7, again);
    }

    [TestMethod]
    public void ALaterMinute_ForgetsTheEarlierOnes_AndALateEventOfThemIsNotRemembered()
    {
        var collapser = new QueryLogCollapser();
        for (int row = 0; row < 3000; row++)
        {
            collapser.Remember(KeyOfRow(collapser, row), 1000 + row);
        }

        collapser.Remember(KeyOfRow(collapser, 1, minuteOffset: 1), 9);
        Assert.AreEqual(1, collapser.Count);
        Assert.IsFalse(collapser.TryGetRow(KeyOfRow(collapser, 2), out _), "the earlier minute's rows are gone");
        Assert.IsFalse(collapser.TryGetRow(KeyOfRow(collapser, 2, minuteOffset: 1), out _));
        Assert.IsTrue(collapser.TryGetRow(KeyOfRow(collapser, 1, minuteOffset: 1), out long id));
        Assert.AreEqual(9, id);

        collapser.Remember(KeyOfRow(collapser, 2), 10); // late, from the minute before
        Assert.IsFalse(collapser.TryGetRow(KeyOfRow(collapser, 2), out _));
        Assert.AreEqual(1, collapser.Count);
    }
}
