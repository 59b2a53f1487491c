using System.Buffers.Binary;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// Conditional domains go to their own servers only; private zones (RFC 6303, RFC 7793, local,
/// home.arpa, invalid, localhost, onion) without one are answered here and never reach the
/// public upstream.
/// </summary>
[TestClass]
public sealed class ConditionalRoutingTests
{
    private static UpstreamResolver Create(FakeUpstream pub, IReadOnlyDictionary<string, IReadOnlyList<UpstreamServer>> conditional, System.Diagnostics.Metrics.IMeterFactory? meters = null) =>
        new(new UpstreamOptions
        {
            Servers = [UpstreamServer.Plain(pub.EndPoint)],
            Conditional = conditional,
            AttemptTimeout = TimeSpan.FromMilliseconds(300),
            Timeout = TimeSpan.FromMilliseconds(600),
        }, new UpstreamFactory(new SocketUdpExchange()), NullLogger<UpstreamResolver>.Instance, meters ?? TestMeters.Factory());

    private static Task<DnsAnswer?> AskAsync(UpstreamResolver resolver, string name, ushort type = 1) =>
        resolver.ResolveAsync(DnsName.FromText(name), type, 1, dnssecOk: false, checkingDisabled: false);

    /// <summary>The owner and RDATA start of the first authority record, which must be an SOA.</summary>
    private static (string Owner, uint Ttl, string MName, string RName) AuthoritySoa(DnsAnswer answer)
    {
        byte[] message = answer.Message;
        int position = DnsHeader.Size + answer.QuestionLength;
        for (int i = 0; i < answer.AnswerCount; i++)
        {
            Assert.IsTrue(DnsQueryParser.TrySkipRecord(message, ref position, out _, out _, out _));
        }

        Assert.AreEqual(1, DnsHeader.ReadCount(message, DnsSection.Authority), "one SOA in authority");
        Span<byte> name = stackalloc byte[255];
        Assert.IsTrue(DnsName.TryRead(message, position, name, out _, out int ownerLength));
        string owner = DnsName.ToText(name[..ownerLength]);
        Assert.IsTrue(DnsQueryParser.TrySkipRecord(message, ref position, out ushort type, out int rdata, out _));
        Assert.AreEqual(DnsRecordType.SOA, type);
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(rdata - 6));
        Assert.IsTrue(DnsName.TryRead(message, rdata, name, out int afterMName, out int mLength));
        string mname = DnsName.ToText(name[..mLength]);
        Assert.IsTrue(DnsName.TryRead(message, afterMName, name, out _, out int rLength));
        return (owner, ttl, mname, DnsName.ToText(name[..rLength]));
    }

    [TestMethod]
    public async Task ConditionalDomains_GoToTheirServer_NeverToThePublicOne()
    {
        await using var pub = new FakeUpstream();
        await using var router = new FakeUpstream();
        router.Handler = q => RawMessage.ResponseTo(q.Raw).A(null, 60, "192.168.1.20").ToArray();
        var conditional = new Dictionary<string, IReadOnlyList<UpstreamServer>>
        {
            ["lan"] = [UpstreamServer.Plain(router.EndPoint)],
            ["1.168.192.in-addr.arpa"] = [UpstreamServer.Plain(router.EndPoint)],
        };
        await using UpstreamResolver resolver = Create(pub, conditional);

        Assert.IsNotNull(await AskAsync(resolver, "printer.lan"));
        Assert.IsNotNull(await AskAsync(resolver, "lan", DnsRecordType.SOA), "the domain itself");
        Assert.IsNotNull(await AskAsync(resolver, "20.1.168.192.in-addr.arpa", DnsRecordType.PTR));
        Assert.IsNotNull(await AskAsync(resolver, "www.example.org"));

        string[] routed = [.. router.Received.Select(q => q.Name).Order(StringComparer.Ordinal)];
        CollectionAssert.AreEqual(new[] { "20.1.168.192.in-addr.arpa", "lan", "printer.lan" }, routed);
        CollectionAssert.AreEqual(new[] { "www.example.org" }, pub.Received.Select(q => q.Name).ToArray(), "the public upstream sees only the public name");
    }

    [TestMethod]
    public async Task LongestConditionalDomainWins()
    {
        await using var pub = new FakeUpstream();
        await using var router = new FakeUpstream();
        await using var office = new FakeUpstream();
        var conditional = new Dictionary<string, IReadOnlyList<UpstreamServer>>
        {
            ["corp.example"] = [UpstreamServer.Plain(router.EndPoint)],
            ["office.corp.example"] = [UpstreamServer.Plain(office.EndPoint)],
        };
        await using UpstreamResolver resolver = Create(pub, conditional);

        Assert.IsNotNull(await AskAsync(resolver, "pc.office.corp.example"));
        Assert.IsNotNull(await AskAsync(resolver, "mail.corp.example"));
        Assert.IsNotNull(await AskAsync(resolver, "notcorp.example"), "a label boundary, not a string suffix");

        CollectionAssert.AreEqual(new[] { "pc.office.corp.example" }, office.Received.Select(q => q.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "mail.corp.example" }, router.Received.Select(q => q.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "notcorp.example" }, pub.Received.Select(q => q.Name).ToArray());
    }

    [TestMethod]
    [DataRow("5.4.3.10.in-addr.arpa", "10.in-addr.arpa")]
    [DataRow("1.0.16.172.in-addr.arpa", "16.172.in-addr.arpa")]
    [DataRow("1.0.31.172.in-addr.arpa", "31.172.in-addr.arpa")]
    [DataRow("7.2.168.192.in-addr.arpa", "168.192.in-addr.arpa")]
    [DataRow("1.0.0.127.in-addr.arpa", "127.in-addr.arpa")]
    [DataRow("4.3.2.0.in-addr.arpa", "0.in-addr.arpa")]
    [DataRow("1.1.254.169.in-addr.arpa", "254.169.in-addr.arpa")]
    [DataRow("9.2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa")]
    [DataRow("9.100.51.198.in-addr.arpa", "100.51.198.in-addr.arpa")]
    [DataRow("9.113.0.203.in-addr.arpa", "113.0.203.in-addr.arpa")]
    [DataRow("255.255.255.255.in-addr.arpa", "255.255.255.255.in-addr.arpa")]
    [DataRow("1.1.64.100.in-addr.arpa", "64.100.in-addr.arpa")]
    [DataRow("1.1.127.100.in-addr.arpa", "127.100.in-addr.arpa")]
    [DataRow("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa")]
    [DataRow("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa")]
    [DataRow("1.2.3.4.5.d.f.ip6.arpa", "d.f.ip6.arpa")]
    [DataRow("0.1.2.8.e.f.ip6.arpa", "8.e.f.ip6.arpa")]
    [DataRow("0.1.2.b.e.f.ip6.arpa", "b.e.f.ip6.arpa")]
    [DataRow("1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "8.b.d.0.1.0.0.2.ip6.arpa")]
    [DataRow("printer.local", "local")]
    [DataRow("nas.home.arpa", "home.arpa")]
    [DataRow("x.invalid", "invalid")]
    [DataRow("hidden.onion", "onion")]
    public async Task PrivateZone_WithoutConditionalServer_IsNxdomainWithSoa_AndNeverForwarded(string name, string zone)
    {
        await using var pub = new FakeUpstream();
        var meters = TestMeters.Factory();
        using var local = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.local_answers");
        await using UpstreamResolver resolver = Create(pub, new Dictionary<string, IReadOnlyList<UpstreamServer>>(), meters);

        DnsAnswer? answer = await AskAsync(resolver, name, name.EndsWith(".arpa", StringComparison.Ordinal) ? DnsRecordType.PTR : DnsRecordType.A);

        Assert.IsNotNull(answer);
        bool apex = name == zone;
        Assert.AreEqual(apex ? DnsResponseCode.NoError : DnsResponseCode.NxDomain, answer.Rcode);
        Assert.AreEqual(0, answer.AnswerCount);
        (string owner, uint ttl, string mname, string rname) = AuthoritySoa(answer);
        Assert.AreEqual(zone, owner.TrimEnd('.'));
        Assert.AreEqual(zone, mname.TrimEnd('.'), "RFC 6303 §3: the zone is its own MNAME");
        Assert.AreEqual("nobody.invalid", rname.TrimEnd('.'));
        Assert.AreEqual(10800u, ttl);
        Assert.AreEqual(10800u, answer.CacheTtl, "negative answers are cached for the SOA's minimum");
        Assert.AreEqual(0, pub.Count, "the public upstream never hears of it");
        Assert.AreEqual(zone, local.LastMeasurement?.Tags["zone"]);
    }

    [TestMethod]
    [DataRow("1.0.15.172.in-addr.arpa")]
    [DataRow("1.0.32.172.in-addr.arpa")]
    [DataRow("1.1.63.100.in-addr.arpa")]
    [DataRow("1.1.128.100.in-addr.arpa")]
    [DataRow("8.8.8.8.in-addr.arpa")]
    [DataRow("1.0.0.c.e.f.ip6.arpa")]
    [DataRow("local.example")]
    [DataRow("printer.test")]
    public async Task PublicNamesNextToPrivateZones_AreForwarded(string name)
    {
        await using var pub = new FakeUpstream();
        await using UpstreamResolver resolver = Create(pub, new Dictionary<string, IReadOnlyList<UpstreamServer>>());

        Assert.IsNotNull(await AskAsync(resolver, name, DnsRecordType.PTR));

        Assert.AreEqual(name, pub.Received.Single().Name);
    }

    [TestMethod]
    public async Task ZoneApex_AnswersItsSoaAndNs()
    {
        await using var pub = new FakeUpstream();
        await using UpstreamResolver resolver = Create(pub, new Dictionary<string, IReadOnlyList<UpstreamServer>>());

        DnsAnswer? soa = await AskAsync(resolver, "168.192.in-addr.arpa", DnsRecordType.SOA);
        DnsAnswer? ns = await AskAsync(resolver, "10.in-addr.arpa", DnsRecordType.NS);

        Assert.AreEqual(DnsResponseCode.NoError, soa?.Rcode);
        Assert.AreEqual(1, soa?.AnswerCount);
        Assert.AreEqual(DnsResponseCode.NoError, ns?.Rcode);
        Assert.AreEqual(1, ns?.AnswerCount);
        Assert.AreEqual(0, pub.Count);
    }

    [TestMethod]
    public async Task Localhost_IsTheLoopback_AndOtherTypesAreNoData()
    {
        await using var pub = new FakeUpstream();
        await using UpstreamResolver resolver = Create(pub, new Dictionary<string, IReadOnlyList<UpstreamServer>>());

        DnsAnswer? a = await AskAsync(resolver, "app.localhost", DnsRecordType.A);
        DnsAnswer? aaaa = await AskAsync(resolver, "localhost", DnsRecordType.AAAA);
        DnsAnswer? txt = await AskAsync(resolver, "localhost", DnsRecordType.TXT);

        Assert.IsNotNull(a);
        Assert.AreEqual(1, a.AnswerCount);
        CollectionAssert.AreEqual(new byte[] { 127, 0, 0, 1 }, a.Message[^4..]);
        Assert.IsNotNull(aaaa);
        Assert.AreEqual(1, aaaa.AnswerCount);
        Assert.AreEqual(1, aaaa.Message[^1]);
        Assert.IsTrue(aaaa.Message[^16..^1].All(b => b == 0), "::1");
        Assert.IsNotNull(txt);
        Assert.AreEqual(DnsResponseCode.NoError, txt.Rcode);
        Assert.IsTrue(txt.IsNegative, "NODATA");
        Assert.AreEqual(0, pub.Count);
    }

    [TestMethod]
    public async Task ConditionalServer_CoveringAPrivateZone_GetsItsNames_TheRestOfTheZoneStaysLocal()
    {
        await using var pub = new FakeUpstream();
        await using var router = new FakeUpstream();
        var conditional = new Dictionary<string, IReadOnlyList<UpstreamServer>>
        {
            ["1.168.192.in-addr.arpa"] = [UpstreamServer.Plain(router.EndPoint)],
            ["home.arpa"] = [UpstreamServer.Plain(router.EndPoint)],
        };
        await using UpstreamResolver resolver = Create(pub, conditional);

        DnsAnswer? routed = await AskAsync(resolver, "9.1.168.192.in-addr.arpa", DnsRecordType.PTR);
        DnsAnswer? home = await AskAsync(resolver, "nas.home.arpa");
        DnsAnswer? local = await AskAsync(resolver, "9.2.168.192.in-addr.arpa", DnsRecordType.PTR);

        Assert.AreEqual(DnsResponseCode.NoError, routed?.Rcode);
        Assert.AreEqual(DnsResponseCode.NoError, home?.Rcode);
        Assert.AreEqual(DnsResponseCode.NxDomain, local?.Rcode);
        Assert.AreEqual("168.192.in-addr.arpa", AuthoritySoa(local!).Owner.TrimEnd('.'));
        CollectionAssert.AreEquivalent(new[] { "9.1.168.192.in-addr.arpa", "nas.home.arpa" }, router.Received.Select(q => q.Name).ToArray());
        Assert.AreEqual(0, pub.Count);
    }

    [TestMethod]
    public async Task SilentConditionalServer_IsServfail_NotThePublicUpstream()
    {
        await using var pub = new FakeUpstream();
        await using var router = new FakeUpstream { Handler = _ => FakeReply.Drop };
        var conditional = new Dictionary<string, IReadOnlyList<UpstreamServer>> { ["lan"] = [UpstreamServer.Plain(router.EndPoint)] };
        await using UpstreamResolver resolver = Create(pub, conditional);

        Assert.IsNull(await AskAsync(resolver, "printer.lan"));

        Assert.AreEqual(1, router.Count);
        Assert.AreEqual(0, pub.Count, "a LAN name never falls back to the public resolver");
    }
}
