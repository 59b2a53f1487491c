using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>
/// Names from lease files (reloaded on change) and PTR lookups against a real UDP server on
/// 127.0.0.1; the lookups run when the test says so (<c>ProcessQueuedLookupsAsync</c>) or in the
/// running service, and the test waits on signals, not on time.
/// </summary>
[TestClass]
public sealed class ClientNameResolverTests
{
    private const ushort Ptr = 12;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static FakeTimeProvider NewTime() => new(DateTimeOffset.Parse("2026-11-24T12:00:00Z", CultureInfo.InvariantCulture));

    private static ClientAddress Client(string address, ushort port = 0) => ClientAddress.FromIPAddress(IPAddress.Parse(address), port);

    private static ClientNameResolver Create(FakeTimeProvider time, IPEndPoint? nameServer = null, IReadOnlyList<string>? leaseFiles = null,
        TimeSpan? lookupTimeout = null, int queueCapacity = 256) =>
        new(new ClientNameOptions
        {
            LeaseFiles = leaseFiles ?? [],
            NameServer = nameServer,
            NameTtl = TimeSpan.FromHours(1),
            NegativeTtl = TimeSpan.FromMinutes(10),
            LookupTimeout = lookupTimeout ?? Patience,
            LookupQueueCapacity = queueCapacity,
        }, time, NullLogger<ClientNameResolver>.Instance);

    /// <summary>Answers PTR queries from <paramref name="names"/> (reverse name → target), NXDOMAIN for the rest.</summary>
    private static Func<FakeQuery, FakeReply> PtrAnswers(Dictionary<string, string> names) => query =>
    {
        if (query.Type == Ptr && names.TryGetValue(query.Name.ToLowerInvariant(), out string? target))
        {
            return RawMessage.ResponseTo(query.Raw).Record(null, Ptr, 300, RawMessage.Name(target), 1).ToArray();
        }

        return RawMessage.ResponseTo(query.Raw, rcode: 3).Soa("in-addr.arpa", 300, 300).ToArray();
    };

    private static string CopySample(TempDirectory directory, string file) =>
        directory.Write(file, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", file)));

    [TestMethod]
    [DataRow("192.168.1.23", "23.1.168.192.in-addr.arpa")]
    [DataRow("::ffff:10.0.0.1", "1.0.0.10.in-addr.arpa")]
    [DataRow("4321:0:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa", DisplayName = "RFC 3596 section 2.5 example")]
    [DataRow("fe80::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa")]
    public void ReverseName(string address, string expected)
    {
        Assert.AreEqual(expected, PtrNames.ReverseName(Client(address)));
    }

    [TestMethod]
    public void LeaseFiles_OfBothFormats_NameClients_WhateverTheirPort()
    {
        using var directory = new TempDirectory();
        FakeTimeProvider time = NewTime();
        using ClientNameResolver resolver = Create(time, leaseFiles:
            [CopySample(directory, "dnsmasq.leases"), CopySample(directory, "dhcpd.leases"), CopySample(directory, "dhcpd6.leases")]);

        Assert.IsTrue(resolver.ReloadLeaseFiles());

        Assert.AreEqual("MacBook-Pro", resolver.TryGetName(Client("192.168.1.23", 53124)));
        Assert.AreEqual("MacBook-Pro", resolver.TryGetName(Client("::ffff:192.168.1.23", 40000)), "IPv4-mapped is the same client");
        Assert.AreEqual("MacBook-Pro", resolver.TryGetName(Client("2001:db8:1::1a3")));
        Assert.AreEqual("DESKTOP-7KQ2M1", resolver.TryGetName(Client("192.168.10.20")));
        Assert.AreEqual("desktop-7kq2m1.home.arpa", resolver.TryGetName(Client("2001:db8:10::1c4")));
        Assert.AreEqual("nas", resolver.TryGetName(Client("192.168.1.5")));
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.61")), "lease without a host name");
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.77")), "lease expired at 09:10");
        Assert.IsNull(resolver.TryGetName(Client("192.168.10.22")), "released");
        Assert.AreEqual(14, resolver.LeaseNameCount);
    }

    [TestMethod]
    public void LeaseExpiry_IsCheckedWhenAsked()
    {
        using var directory = new TempDirectory();
        FakeTimeProvider time = NewTime();
        using ClientNameResolver resolver = Create(time, leaseFiles: [CopySample(directory, "dnsmasq.leases")]);
        resolver.ReloadLeaseFiles();
        Assert.AreEqual("raspberrypi", resolver.TryGetName(Client("192.168.1.50")));

        time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(1795534200)); // its lease ends

        Assert.IsNull(resolver.TryGetName(Client("192.168.1.50")));
        Assert.AreEqual("nas", resolver.TryGetName(Client("192.168.1.5")), "infinite lease");
    }

    [TestMethod]
    public void LeaseFileChange_Reloads_OnlyWhenItChanged()
    {
        using var directory = new TempDirectory();
        FakeTimeProvider time = NewTime();
        string missing = Path.Combine(directory.Path, "dhcpd.leases");
        string file = directory.Write("dnsmasq.leases", "1795543200 3c:22:fb:12:34:56 192.168.1.23 laptop *\n");
        using ClientNameResolver resolver = Create(time, leaseFiles: [file, missing]);
        Assert.IsTrue(resolver.ReloadLeaseFiles());
        Assert.AreEqual("laptop", resolver.TryGetName(Client("192.168.1.23")));
        Assert.IsFalse(resolver.ReloadLeaseFiles(), "nothing changed");

        File.WriteAllText(file, "1795543200 3c:22:fb:12:34:56 192.168.1.23 renamed-laptop *\n1795543200 a4:83:e7:ab:cd:ef 192.168.1.42 phone *\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        Assert.IsTrue(resolver.ReloadLeaseFiles());
        Assert.AreEqual("renamed-laptop", resolver.TryGetName(Client("192.168.1.23")));
        Assert.AreEqual("phone", resolver.TryGetName(Client("192.168.1.42")));

        File.WriteAllText(missing, "lease 192.168.1.99 {\n  binding state active;\n  client-hostname \"appeared\";\n}\n");
        Assert.IsTrue(resolver.ReloadLeaseFiles(), "a missing file is read once it appears");
        Assert.AreEqual("appeared", resolver.TryGetName(Client("192.168.1.99")));

        File.Delete(file);
        Assert.IsTrue(resolver.ReloadLeaseFiles());
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.23")), "the file's names go with it");
        Assert.AreEqual("appeared", resolver.TryGetName(Client("192.168.1.99")));
    }

    [TestMethod]
    public void SameAddressInTwoFiles_TheLongerLeaseWins()
    {
        using var directory = new TempDirectory();
        string first = directory.Write("a.leases", "1795543200 3c:22:fb:12:34:56 192.168.1.23 short *\n");
        string second = directory.Write("b.leases", "1795552800 3c:22:fb:12:34:56 192.168.1.23 longer *\n");
        using ClientNameResolver resolver = Create(NewTime(), leaseFiles: [first, second]);
        using ClientNameResolver reversed = Create(NewTime(), leaseFiles: [second, first]);
        resolver.ReloadLeaseFiles();
        reversed.ReloadLeaseFiles();

        Assert.AreEqual("longer", resolver.TryGetName(Client("192.168.1.23")));
        Assert.AreEqual("longer", reversed.TryGetName(Client("192.168.1.23")));
    }

    [TestMethod]
    public async Task UnknownAddress_IsLookedUpOnce_InTheBackground_AndItsNameKeptForTheTtl()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers(new() { ["23.1.168.192.in-addr.arpa"] = "Laptop.lan" }) };
        FakeTimeProvider time = NewTime();
        using ClientNameResolver resolver = Create(time, server.EndPoint);

        for (ushort port = 1; port <= 5; port++)
        {
            Assert.IsNull(resolver.TryGetName(Client("192.168.1.23", port)), "not known yet; never waits for the answer");
        }

        Assert.AreEqual(1, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None), "five asks, one lookup");
        FakeQuery query = server.Received.Single();
        Assert.AreEqual((Ptr, "23.1.168.192.in-addr.arpa"), (query.Type, query.Name));
        Assert.AreEqual("laptop.lan", resolver.TryGetName(Client("192.168.1.23")));

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        Assert.AreEqual("laptop.lan", resolver.TryGetName(Client("192.168.1.23")));
        Assert.AreEqual(0, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None), "fresh: not asked again");

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.AreEqual("laptop.lan", resolver.TryGetName(Client("192.168.1.23")), "expired: the old name while it is looked up again");
        Assert.AreEqual(1, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None));
        Assert.AreEqual(2, server.Count);
    }

    [TestMethod]
    public async Task NoName_IsCachedForTheNegativeTtl()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers([]) };
        FakeTimeProvider time = NewTime();
        using ClientNameResolver resolver = Create(time, server.EndPoint);

        Assert.IsNull(await resolver.LookupAsync(Client("192.168.1.99"), CancellationToken.None));
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.99")));
        Assert.AreEqual(0, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None), "NXDOMAIN is remembered");

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.99")));
        Assert.AreEqual(1, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None), "asked again after 10 minutes");
        Assert.AreEqual(2, server.Count);
    }

    [TestMethod]
    public async Task PtrBehindACname_AndIPv6_AreFollowed()
    {
        await using var server = new FakeUpstream
        {
            Handler = query => query.Name switch
            {
                // RFC 2317 classless delegation: the router answers with a CNAME and the PTR it leads to.
                "23.1.168.192.in-addr.arpa" => RawMessage.ResponseTo(query.Raw).Cname(null, 300, "23.0-63.1.168.192.in-addr.arpa")
                    .Record("23.0-63.1.168.192.in-addr.arpa", Ptr, 300, RawMessage.Name("printer.lan"), 1).ToArray(),
                _ when query.Name.EndsWith(".ip6.arpa", StringComparison.Ordinal) =>
                    RawMessage.ResponseTo(query.Raw).Record(null, Ptr, 300, RawMessage.Name("phone.lan"), 1).ToArray(),
                _ => FakeReply.Drop,
            },
        };
        using ClientNameResolver resolver = Create(NewTime(), server.EndPoint);

        Assert.AreEqual("printer.lan", await resolver.LookupAsync(Client("192.168.1.23"), CancellationToken.None));
        Assert.AreEqual("phone.lan", await resolver.LookupAsync(Client("2001:db8::5b2"), CancellationToken.None));
        Assert.AreEqual("phone.lan", resolver.TryGetName(Client("2001:db8::5b2", 5353)));
    }

    [TestMethod]
    public async Task LeaseName_IsUsedWithoutAskingTheNameServer()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers(new() { ["23.1.168.192.in-addr.arpa"] = "from-ptr.lan" }) };
        using var directory = new TempDirectory();
        using ClientNameResolver resolver = Create(NewTime(), server.EndPoint, [directory.Write("dnsmasq.leases", "1795543200 3c:22:fb:12:34:56 192.168.1.23 from-lease *\n")]);
        resolver.ReloadLeaseFiles();

        Assert.AreEqual("from-lease", resolver.TryGetName(Client("192.168.1.23")));
        Assert.AreEqual(0, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None));
        Assert.AreEqual(0, server.Count);
    }

    [TestMethod]
    public async Task WithoutANameServer_NothingIsQueued()
    {
        using ClientNameResolver resolver = Create(NewTime());

        Assert.IsNull(resolver.TryGetName(Client("192.168.1.23")));
        Assert.IsNull(await resolver.LookupAsync(Client("192.168.1.23"), CancellationToken.None));
        Assert.AreEqual(0, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None));
        Assert.AreEqual(0, resolver.LookupsSent);
    }

    [TestMethod]
    public async Task FullQueue_DropsTheLookup_UntilAskedAgain()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers(new() { ["3.1.168.192.in-addr.arpa"] = "third.lan" }) };
        using ClientNameResolver resolver = Create(NewTime(), server.EndPoint, queueCapacity: 2);

        resolver.TryGetName(Client("192.168.1.1"));
        resolver.TryGetName(Client("192.168.1.2"));
        resolver.TryGetName(Client("192.168.1.3"));

        Assert.AreEqual(1, resolver.LookupsDropped);
        Assert.AreEqual(2, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None));
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.3")), "dropped, so not known; queued now");
        Assert.AreEqual(1, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None));
        Assert.AreEqual("third.lan", resolver.TryGetName(Client("192.168.1.3")));
    }

    [TestMethod]
    public async Task SilentNameServer_NeverDelaysTryGetName()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new FakeUpstream();
        server.Handler = _ =>
        {
            asked.TrySetResult();
            return FakeReply.Drop;
        };
        using var directory = new TempDirectory();
        FakeTimeProvider time = NewTime();
        using ClientNameResolver resolver = Create(time, server.EndPoint, [directory.Write("dnsmasq.leases", "0 3c:22:fb:12:34:56 192.168.1.5 nas *\n")]);
        resolver.ReloadLeaseFiles();
        await resolver.StartAsync(CancellationToken.None);

        Assert.IsNull(resolver.TryGetName(Client("192.168.1.23")));
        await asked.Task.WaitAsync(Patience);

        // The lookup is now waiting for an answer that never comes (for 30 s): asking meanwhile
        // answers at once, from what is known.
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.23")));
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.24")));
        Assert.AreEqual("nas", resolver.TryGetName(Client("192.168.1.5")));
        Assert.AreEqual(0, resolver.LookupsCompleted, "every call above returned while the lookup was still outstanding");

        await resolver.StopAsync(CancellationToken.None);
    }

    [TestMethod]
    public async Task Unanswered_CountsAsNoName_ForTheNegativeTtl()
    {
        await using var server = new FakeUpstream { Handler = _ => FakeReply.Drop };
        using ClientNameResolver resolver = Create(NewTime(), server.EndPoint, lookupTimeout: TimeSpan.FromMilliseconds(200));

        Assert.IsNull(await resolver.LookupAsync(Client("192.168.1.23"), CancellationToken.None));

        Assert.AreEqual(1, resolver.LookupsUnanswered);
        Assert.IsNull(resolver.TryGetName(Client("192.168.1.23")));
        Assert.AreEqual(0, await resolver.ProcessQueuedLookupsAsync(CancellationToken.None), "not asked again right away");
    }

    [TestMethod]
    public async Task RunningService_LooksUpWhatItIsAskedAbout()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers(new() { ["42.1.168.192.in-addr.arpa"] = "phone.lan" }) };
        using ClientNameResolver resolver = Create(NewTime(), server.EndPoint);
        var named = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        resolver.LookupCompleted = (_, name) => named.TrySetResult(name);
        await resolver.StartAsync(CancellationToken.None);

        Assert.IsNull(resolver.TryGetName(Client("192.168.1.42")));
        Assert.AreEqual("phone.lan", await named.Task.WaitAsync(Patience));
        Assert.AreEqual("phone.lan", resolver.TryGetName(Client("192.168.1.42")));

        await resolver.StopAsync(CancellationToken.None);
    }

    [TestMethod]
    public async Task Prune_DropsExpiredResults_AndKeepsAtMostTheLimit()
    {
        await using var server = new FakeUpstream { Handler = PtrAnswers(new() { ["1.1.168.192.in-addr.arpa"] = "one.lan" }) };
        FakeTimeProvider time = NewTime();
        using var resolver = new ClientNameResolver(new ClientNameOptions { NameServer = server.EndPoint, MaxCachedNames = 2 }, time, NullLogger<ClientNameResolver>.Instance);
        await resolver.LookupAsync(Client("192.168.1.1"), CancellationToken.None); // name: 1 h
        await resolver.LookupAsync(Client("192.168.1.2"), CancellationToken.None); // no name: 10 min
        time.Advance(TimeSpan.FromMinutes(1));
        await resolver.LookupAsync(Client("192.168.1.3"), CancellationToken.None); // no name: 10 min from now

        resolver.PruneCache();
        Assert.AreEqual(2, resolver.CachedNameCount, "over the limit: the soonest to expire goes");
        Assert.AreEqual("one.lan", resolver.TryGetName(Client("192.168.1.1")));

        time.Advance(TimeSpan.FromMinutes(10));
        resolver.PruneCache();
        Assert.AreEqual(1, resolver.CachedNameCount);
    }
}
