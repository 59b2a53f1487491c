using System.Net;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Tests.QueryLog;

/// <summary>The collapser's hashed keys: every field a row shows tells rows apart, the port and the time within a minute do not.</summary>
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
}
