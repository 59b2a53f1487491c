using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>
/// The snapshot, the refresh loop and its rate limit, with a fake clock and a source the test
/// feeds. Each source call records the fake time it ran at, so when a refresh happened is
/// asserted exactly, without real delays.
/// </summary>
[TestClass]
public sealed class NeighbourTableTests
{
    internal static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-24T12:00:00Z", CultureInfo.InvariantCulture);
    internal static readonly NeighbourEntry Phone = ProcNetArpParserTests.Entry("192.168.1.23", "a4:50:46:1c:7e:02");
    private static readonly NeighbourEntry PhoneV6 = ProcNetArpParserTests.Entry("2001:db8:1:0:a1b2:c3d4:e5f6:789", "a4:50:46:1c:7e:02");
    private static readonly NeighbourEntry Laptop = ProcNetArpParserTests.Entry("192.168.1.57", "3c:22:fb:91:0a:6d");
    private static readonly ClientAddress Unknown = Address("192.168.1.99");

    private static ClientAddress Address(string text, ushort port = 0) => ClientAddress.FromIPAddress(IPAddress.Parse(text), port);

    private static MacAddress? Lookup(NeighbourTable table, ClientAddress address) =>
        table.TryGetMac(address, out MacAddress mac) ? mac : null;

    [TestMethod]
    public async Task Lookup_MatchesAddressAndFamily_IgnoringThePort()
    {
        await using var fixture = new NeighbourTableFixture { Entries = [Phone, PhoneV6, Laptop] };
        Assert.IsNull(fixture.Table.LastRefresh);

        Assert.IsTrue(fixture.Table.Refresh());

        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Address("192.168.1.23", port: 53124)));
        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Address("::ffff:192.168.1.23")), "IPv4-mapped is IPv4");
        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Address("2001:db8:1:0:a1b2:c3d4:e5f6:789", port: 5353)));
        Assert.AreEqual(Laptop.Mac, Lookup(fixture.Table, Address("192.168.1.57")));
        Assert.IsNull(Lookup(fixture.Table, Unknown));
        // ::c0a8:117 has the same low 32 bits as 192.168.1.23 but is an IPv6 address.
        Assert.IsNull(Lookup(fixture.Table, new ClientAddress(Phone.Address.Bits, false, 0)));
        Assert.AreEqual(3, fixture.Table.Count);
        Assert.AreEqual(Start, fixture.Table.LastRefresh);
    }

    [TestMethod]
    public async Task Refresh_SwapsInTheChangedTable()
    {
        await using var fixture = new NeighbourTableFixture { Entries = [Phone, Laptop] };
        fixture.Table.Refresh();

        var phoneNewMac = new NeighbourEntry(Phone.Address, new MacAddress(0x02_00_00_00_00_23));
        fixture.Entries = [phoneNewMac, PhoneV6];
        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.IsTrue(fixture.Table.Refresh());

        Assert.AreEqual(phoneNewMac.Mac, Lookup(fixture.Table, Phone.Address));
        Assert.AreEqual(PhoneV6.Mac, Lookup(fixture.Table, PhoneV6.Address));
        Assert.IsNull(Lookup(fixture.Table, Laptop.Address), "gone from the kernel's table, gone from ours");
        Assert.AreEqual(2, fixture.Table.Count);
        Assert.AreEqual(Start.AddSeconds(30), fixture.Table.LastRefresh);
    }

    [TestMethod]
    public async Task ConcurrentLookups_SeeOneWholeTableOrTheOther_NeverAMix()
    {
        // Both tables know both addresses; a swap that is not atomic shows a miss or one MAC from each.
        var first = new MacAddress(0x02_00_00_00_00_01);
        var second = new MacAddress(0x02_00_00_00_00_02);
        NeighbourEntry[] one = [new(Phone.Address, first), new(Laptop.Address, first)];
        NeighbourEntry[] two = [new(Phone.Address, second), new(Laptop.Address, second)];
        await using var fixture = new NeighbourTableFixture { Entries = one };
        fixture.Table.Refresh();

        using var done = new CancellationTokenSource();
        int[] lookups = [0];
        Task reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                Assert.IsTrue(fixture.Table.TryGetMac(Phone.Address, out MacAddress mac));
                Assert.IsTrue(mac == first || mac == second, mac.ToString());
                Interlocked.Increment(ref lookups[0]);
            }
        });

        // At least 2000 swaps, and enough lookups that they overlapped (the reader may start late).
        for (int i = 0; (i < 2000 || Volatile.Read(ref lookups[0]) < 10_000) && !reader.IsCompleted; i++)
        {
            fixture.Entries = i % 2 == 0 ? two : one;
            fixture.Table.Refresh();
        }

        await done.CancelAsync();
        await reader;
        Assert.IsFalse(fixture.Table.RefreshRequested, "hits never ask for a refresh");
    }

    [TestMethod]
    public async Task SourceFailure_KeepsTheLastTable_AndIsLoggedOncePerDistinctFailure()
    {
        await using var fixture = new NeighbourTableFixture { Entries = [Phone, Laptop] };
        fixture.Table.Refresh();

        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        fixture.Failure = new IOException("netlink: permission denied");
        Assert.IsFalse(fixture.Table.Refresh());
        Assert.IsFalse(fixture.Table.Refresh());
        fixture.Failure = new FileNotFoundException("/proc/net/arp");
        Assert.IsFalse(fixture.Table.Refresh());

        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Phone.Address));
        Assert.AreEqual(2, fixture.Table.Count);
        Assert.AreEqual(Start, fixture.Table.LastRefresh, "the time of the table still in use");
        var warnings = fixture.Log.Collector.GetSnapshot().Where(e => e.Level == LogLevel.Warning).ToArray();
        Assert.HasCount(2, warnings, "the repeated failure is logged once");
        Assert.IsTrue(warnings.All(w => w.Id.Id == 1201));
        StringAssert.Contains(warnings[0].Message, "permission denied");
        StringAssert.Contains(warnings[0].Message, "2 entries");

        fixture.Failure = null;
        fixture.Entries = [Laptop];
        Assert.IsTrue(fixture.Table.Refresh());
        Assert.IsTrue(fixture.Table.Refresh());
        Assert.AreEqual(1, fixture.Log.Collector.GetSnapshot().Count(e => e.Id.Id == 1202), "recovery is logged once");
        Assert.AreEqual(1, fixture.Table.Count);

        fixture.Failure = new IOException("netlink: permission denied");
        Assert.IsFalse(fixture.Table.Refresh());
        Assert.AreEqual(3, fixture.Log.Collector.GetSnapshot().Count(e => e.Id.Id == 1201), "after a recovery the same failure is news again");
    }

    [TestMethod]
    public async Task Loop_RefreshesAtStart_ThenEveryThirtySeconds()
    {
        await using var fixture = new NeighbourTableFixture();
        await fixture.Table.StartAsync(CancellationToken.None);
        Assert.AreEqual(Start, await fixture.NextCallAsync());
        Assert.AreEqual(TimeSpan.FromSeconds(30), await fixture.NextTimerAsync(), "the period, started with the refresh");

        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.AreEqual(Start.AddSeconds(30), await fixture.NextCallAsync());

        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(Start.AddSeconds(60), await fixture.NextCallAsync());
        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Phone.Address), "the refreshes before this call were swapped in");
    }

    [TestMethod]
    public async Task Miss_RefreshesSoon_ButAtMostOnceEveryTwoSeconds()
    {
        await using var fixture = new NeighbourTableFixture();
        await fixture.Table.StartAsync(CancellationToken.None);
        Assert.AreEqual(Start, await fixture.NextCallAsync());

        // Long enough after the last refresh: a miss refreshes at once.
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        fixture.Entries = [Phone, Laptop];
        Assert.IsNull(Lookup(fixture.Table, Laptop.Address));
        Assert.AreEqual(Start.AddSeconds(5), await fixture.NextCallAsync());

        // A burst of misses right after: one refresh, 2 s after the last one.
        for (int i = 0; i < 100; i++)
        {
            Lookup(fixture.Table, Unknown);
        }

        Assert.IsTrue(fixture.Table.RefreshRequested);
        Assert.AreEqual(TimeSpan.FromSeconds(2), await fixture.RateLimitWaitAsync());
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.AreEqual(Start.AddSeconds(7), await fixture.NextCallAsync());
        Assert.AreEqual(Laptop.Mac, Lookup(fixture.Table, Laptop.Address), "found after the miss-triggered refresh");

        // A miss 1.5 s after a refresh waits only the remaining 0.5 s.
        fixture.Time.Advance(TimeSpan.FromSeconds(1.5));
        Lookup(fixture.Table, Unknown);
        Assert.AreEqual(TimeSpan.FromSeconds(0.5), await fixture.RateLimitWaitAsync());
        fixture.Time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.AreEqual(Start.AddSeconds(9), await fixture.NextCallAsync());

        // No more misses: back to the 30 s period, counted from the last refresh.
        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.AreEqual(Start.AddSeconds(39), await fixture.NextCallAsync());
    }

    [TestMethod]
    public async Task HitsAndLoopbackMisses_DoNotAskForARefresh()
    {
        await using var fixture = new NeighbourTableFixture();
        fixture.Table.Refresh();

        Assert.IsTrue(fixture.Table.TryGetMac(Phone.Address, out _));
        Assert.IsFalse(fixture.Table.TryGetMac(Address("127.0.0.1"), out _));
        Assert.IsFalse(fixture.Table.TryGetMac(Address("127.0.0.53"), out _));
        Assert.IsFalse(fixture.Table.TryGetMac(Address("::1"), out _));
        Assert.IsFalse(fixture.Table.RefreshRequested);

        Assert.IsFalse(fixture.Table.TryGetMac(Address("fe80::1"), out _));
        Assert.IsTrue(fixture.Table.RefreshRequested);
    }

    [TestMethod]
    public async Task LoopFailure_KeepsServing_AndTheNextPeriodRetries()
    {
        await using var fixture = new NeighbourTableFixture();
        await fixture.Table.StartAsync(CancellationToken.None);
        await fixture.NextCallAsync();

        fixture.Failure = new IOException("netlink timeout");
        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(Start.AddSeconds(30), await fixture.NextCallAsync());
        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(Start.AddSeconds(60), await fixture.NextCallAsync());

        // The failed refresh at 30 s has finished (the loop is in the next one, failing too).
        Assert.AreEqual(Phone.Mac, Lookup(fixture.Table, Phone.Address), "the failures kept the first table");
        Assert.AreEqual(Start, fixture.Table.LastRefresh);
        Assert.AreEqual(1, fixture.Log.Collector.GetSnapshot().Count(e => e.Id.Id == 1201));

        fixture.Failure = null;
        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(Start.AddSeconds(90), await fixture.NextCallAsync());
    }

    [TestMethod]
    public async Task Stop_EndsTheLoop()
    {
        var fixture = new NeighbourTableFixture();
        await fixture.Table.StartAsync(CancellationToken.None);
        await fixture.NextCallAsync();

        await fixture.DisposeAsync();

        Assert.IsNotNull(fixture.Table.ExecuteTask);
        Assert.IsTrue(fixture.Table.ExecuteTask.IsCompletedSuccessfully);
    }

    [TestMethod]
    public void DefaultSource_ReadsThisHostsTable()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("The host source is empty off Linux");
        }

        using var table = new NeighbourTable(TimeProvider.System, new FakeLogger<NeighbourTable>());

        Assert.IsTrue(table.Refresh());
        Assert.AreEqual(NetlinkNeighbourSource.Read().Select(e => e.Address).Distinct().Count(), table.Count);
        Assert.IsNotNull(table.LastRefresh);
    }
}
