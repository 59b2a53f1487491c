using System.Net;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The cache as clients see it, through the running daemon.</summary>
[TestClass]
public sealed class CacheTests
{
    /// <summary>Through the daemon's sockets; the TTL counting down while held is CacheStageTests' (on a fake clock, not by waiting).</summary>
    [TestMethod]
    public async Task RepeatedQuery_IsAnsweredFromCache_WithTheIdAndCaseOfEachClient()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await ForwardingTests.StartAsync(upstream.Address);

        DnsMessage first = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("cached.example", 1, id: 1)));
        byte[] second = RawMessage.Query("CACHED.example", 1, id: 2);
        byte[]? secondRaw = await RawClient.UdpAsync(daemon.EndPoint, second, from: IPAddress.Parse("127.0.0.9"));
        DnsMessage secondAnswer = Wire.Parse(secondRaw);

        Assert.AreEqual(1, upstream.Count, "the second query (other client, other port, other case) is a cache hit");
        Assert.AreEqual(300, first.AnswerRecords.Single().TimeToLive);
        Assert.IsLessThanOrEqualTo(300, secondAnswer.AnswerRecords.Single().TimeToLive);
        Assert.IsGreaterThan(290, secondAnswer.AnswerRecords.Single().TimeToLive);
        Assert.AreEqual((ushort)2, secondAnswer.TransactionID);
        CollectionAssert.AreEqual(second[12..], secondRaw![12..second.Length], "cached answer echoes this client's question bytes");
    }

    [TestMethod]
    public async Task DnssecOk_IsPartOfTheKey_SoDoZeroNeverGetsCachedSignatures()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            RawMessage response = RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.1");
            if (q.DnssecOk)
            {
                response.Record(null, 46, 300, new byte[30], 1); // an RRSIG (content irrelevant here)
            }

            return response.Opt(dnssecOk: q.DnssecOk).ToArray();
        };
        await using RunningDaemon daemon = await ForwardingTests.StartAsync(upstream.Address);

        DnsMessage signed = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("sig.example", 1, edns: true, dnssecOk: true)));
        DnsMessage plain = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("sig.example", 1, edns: true)));
        DnsMessage plainAgain = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("sig.example", 1)));

        Assert.HasCount(2, signed.AnswerRecords);
        Assert.HasCount(1, plain.AnswerRecords, "DO=0 must not get the RRSIG a DO=1 query cached");
        Assert.HasCount(1, plainAgain.AnswerRecords);
        Assert.AreEqual(2, upstream.Count, "one upstream query per DO value");
    }

    [TestMethod]
    public async Task NegativeAnswers_AreCachedForTheSoaMinimum_OnlyWithAnSoa()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Name.StartsWith("nosoa", StringComparison.Ordinal)
            ? RawMessage.ResponseTo(q.Raw, rcode: 3).ToArray()
            : RawMessage.ResponseTo(q.Raw, rcode: 3).Soa("example", 3600, 45).ToArray();
        await using RunningDaemon daemon = await ForwardingTests.StartAsync(upstream.Address);

        DnsMessage first = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("gone.example", 1)));
        DnsMessage second = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("gone.example", 1)));
        await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("nosoa.example", 1));
        await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("nosoa.example", 1));

        Assert.AreEqual(ReturnCode.NxDomain, first.ReturnCode);
        Assert.AreEqual(ReturnCode.NxDomain, second.ReturnCode);
        Assert.AreEqual(1, upstream.Received.Count(q => q.Name == "gone.example"));
        Assert.AreEqual(2, upstream.Received.Count(q => q.Name == "nosoa.example"), "NXDOMAIN without SOA is not cached (RFC 2308 §5)");
        Assert.HasCount(1, second.AuthorityRecords);
    }

    [TestMethod]
    public async Task EntryCount_IsBounded()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await ForwardingTests.StartAsync(upstream.Address, cacheEntries: 32);

        for (int i = 0; i < 200; i++)
        {
            await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"many{i}.example", 1));
        }

        Assert.IsLessThanOrEqualTo(32, daemon.Get<DnsCache>().Count);
        Assert.IsGreaterThan(8, daemon.Get<DnsCache>().Count);
    }

    /// <summary>Cache:MaxBytes bounds the cache by what its answers hold, long before MaxEntries is reached.</summary>
    [TestMethod]
    public async Task Bytes_AreBoundedByMaxBytes()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            RawMessage response = RawMessage.ResponseTo(q.Raw);
            for (int i = 1; i <= 20; i++)
            {
                response.A(null, 300, $"192.0.2.{i}");
            }

            return response.ToArray();
        };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .Set("Cache:MaxEntries", "100000").Set("Cache:MaxBytes", "64KB").Values);

        var cache = daemon.Get<DnsCache>();
        for (int i = 0; i < 300; i++)
        {
            Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"big{i}.example", 1)));
            Assert.IsLessThanOrEqualTo(64 << 10, cache.Bytes);
        }

        Assert.IsLessThan(150, cache.Count, "300 answers of about 600 bytes do not fit 64 KB");
        Assert.IsGreaterThan(0, cache.Count);
        Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("big299.example", 1)));
        Assert.AreEqual(1, upstream.Received.Count(q => q.Name == "big299.example"), "the newest answers are still served from the cache");
    }

    /// <summary>An SOA asking for a day of negative caching gets Cache:MaxNegativeTtl: served TTLs say so, and the name is asked again after it.</summary>
    [TestMethod]
    public async Task NegativeAnswers_AreCachedAtMostMaxNegativeTtl()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => RawMessage.ResponseTo(q.Raw, rcode: 3).Soa("example", 86_400, 86_400).ToArray();
        await using RunningDaemon capped = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);

        DnsMessage forwarded = Wire.Parse(await RawClient.UdpAsync(capped.EndPoint, RawMessage.Query("gone.example", 1)));
        DnsMessage cached = Wire.Parse(await RawClient.UdpAsync(capped.EndPoint, RawMessage.Query("gone.example", 1)));
        Assert.AreEqual(1, upstream.Count);
        Assert.AreEqual(3600, forwarded.AuthorityRecords.Single().TimeToLive, "the default cap, one hour, in the answer clients cache too");
        Assert.IsLessThanOrEqualTo(3600, cached.AuthorityRecords.Single().TimeToLive);

        await using RunningDaemon shortCap = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Set("Cache:MaxNegativeTtl", "1s").Values);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (upstream.Received.Count(q => q.Name == "short.example") < 2)
        {
            deadline.Token.ThrowIfCancellationRequested();
            DnsMessage answer = Wire.Parse(await RawClient.UdpAsync(shortCap.EndPoint, RawMessage.Query("short.example", 1)));
            Assert.IsLessThanOrEqualTo(1, answer.AuthorityRecords.Single().TimeToLive);
            await Task.Yield();
        }
    }
}
