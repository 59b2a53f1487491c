using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Cache;

[TestClass]
public sealed class DnsCacheTests
{
    private static readonly byte[] Name = DnsName.FromText("www.example.com");

    private static DnsAnswer Answer(uint ttl, int rcode = 0, uint? soaMinimum = null, string name = "www.example.com")
    {
        byte[] request = RawMessage.Query(name, 1);
        RawMessage response = RawMessage.ResponseTo(request, rcode: rcode);
        if (rcode == 0 && soaMinimum is null)
        {
            response.A(null, ttl, "192.0.2.1");
        }

        if (soaMinimum is uint minimum)
        {
            response.Soa("example.com", ttl, minimum);
        }

        return DnsAnswer.TryParse(response.ToArray(), DnsName.FromText(name), 1, 1)!;
    }

    private static (DnsCache Cache, FakeTimeProvider Time) Create(int maxEntries = 100, int minTtl = 0, int maxTtl = 86400, long maxBytes = 32 << 20, int maxNegativeTtl = 3600, bool serveStale = true)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new CacheOptions
        {
            MaxEntries = maxEntries,
            MaxBytes = maxBytes,
            MinTtl = TimeSpan.FromSeconds(minTtl),
            MaxTtl = TimeSpan.FromSeconds(maxTtl),
            MaxNegativeTtl = TimeSpan.FromSeconds(maxNegativeTtl),
            ServeStale = serveStale,
        };
        return (new DnsCache(options, time, TestMeters.Factory()), time);
    }

    private static DnsAnswer BigAnswer(string name, int records)
    {
        RawMessage response = RawMessage.ResponseTo(RawMessage.Query(name, 1));
        for (int i = 0; i < records; i++)
        {
            response.A(null, 300, $"192.0.2.{i + 1}");
        }

        return DnsAnswer.TryParse(response.ToArray(), DnsName.FromText(name), 1, 1)!;
    }

    [TestMethod]
    public void PositiveAnswer_LivesForItsTtl_AndReportsElapsedSeconds()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(serveStale: false);
        Assert.IsTrue(cache.Set(Name, 1, 1, false, false, Answer(60)));

        time.Advance(TimeSpan.FromSeconds(59.5));
        Assert.IsTrue(cache.TryGet(Name, 1, 1, false, false, out DnsAnswer? hit, out uint elapsed));
        Assert.AreEqual(59u, elapsed);
        Assert.IsNotNull(hit);

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _));
        Assert.AreEqual(0, cache.Count, "without serve-stale, expired entries are removed when found");
    }

    [TestMethod]
    public void TtlsAreClampedToMinAndMax()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(minTtl: 30, maxTtl: 100);
        cache.Set(Name, 1, 1, false, false, Answer(5));
        byte[] other = DnsName.FromText("long.example.com");
        cache.Set(other, 1, 1, false, false, Answer(100_000, name: "long.example.com"));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.IsTrue(cache.TryGet(Name, 1, 1, false, false, out _, out _), "a 5 s TTL is raised to MinTtl 30 s");
        time.Advance(TimeSpan.FromSeconds(81));
        Assert.IsFalse(cache.TryGet(other, 1, 1, false, false, out _, out _), "a long TTL is cut to MaxTtl 100 s");
    }

    [TestMethod]
    public void KeyIncludesTypeClassDoAndCd()
    {
        (DnsCache cache, _) = Create();
        cache.Set(Name, 1, 1, dnssecOk: true, checkingDisabled: false, Answer(60));

        Assert.IsTrue(cache.TryGet(Name, 1, 1, true, false, out _, out _));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _), "DO=0 must not see a DO=1 answer");
        Assert.IsFalse(cache.TryGet(Name, 1, 1, true, true, out _, out _), "CD=1 is another key");
        Assert.IsFalse(cache.TryGet(Name, 28, 1, true, false, out _, out _));
        Assert.IsFalse(cache.TryGet(Name, 1, 3, true, false, out _, out _));
    }

    [TestMethod]
    public void NegativeAnswers_UseTheSoaNegativeTtl_AndUncacheableOnesAreNotStored()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();

        Assert.IsTrue(cache.Set(Name, 1, 1, false, false, Answer(3600, rcode: 3, soaMinimum: 30)));
        Assert.IsFalse(cache.Set(Name, 28, 1, false, false, Answer(3600, rcode: 3)), "NXDOMAIN without SOA");
        Assert.IsFalse(cache.Set(Name, 16, 1, false, false, Answer(3600, rcode: 2)), "SERVFAIL");
        Assert.IsFalse(cache.Set(Name, 33, 1, false, false, Answer(0)), "TTL 0");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.IsTrue(cache.TryGet(Name, 1, 1, false, false, out _, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _));
    }

    [TestMethod]
    public void Bounded_EvictsTheLeastRecentlyUsed()
    {
        (DnsCache cache, _) = Create(maxEntries: 16); // one entry per shard
        var names = Enumerable.Range(0, 400).Select(i => DnsName.FromText($"n{i}.example.com")).ToList();
        foreach (byte[] name in names)
        {
            cache.Set(name, 1, 1, false, false, Answer(60, name: DnsName.ToText(name)));
        }

        Assert.IsLessThanOrEqualTo(16, cache.Count);
        Assert.IsTrue(cache.TryGet(names[^1], 1, 1, false, false, out _, out _), "the newest entry survives");
        Assert.IsFalse(cache.TryGet(names[0], 1, 1, false, false, out _, out _), "the oldest is gone");
    }

    [TestMethod]
    public void Disabled_WithZeroEntries()
    {
        (DnsCache cache, _) = Create(maxEntries: 0);

        Assert.IsFalse(cache.Set(Name, 1, 1, false, false, Answer(60)));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _));
    }

    [TestMethod]
    public void Bytes_AreBounded_AsWellAsEntries_TheLeastRecentlyUsedGoingFirst()
    {
        const long maxBytes = 64 << 10;
        (DnsCache cache, _) = Create(maxEntries: 100_000, maxBytes: maxBytes);
        var names = Enumerable.Range(0, 2000).Select(i => $"n{i}.example.com").ToList();
        foreach (string name in names)
        {
            Assert.IsTrue(cache.Set(DnsName.FromText(name), 1, 1, false, false, BigAnswer(name, 20)));
            Assert.IsLessThanOrEqualTo(maxBytes, cache.Bytes);
        }

        Assert.IsLessThan(names.Count / 4, cache.Count, "the byte budget, not MaxEntries, bounds the cache");
        Assert.IsTrue(cache.TryGet(DnsName.FromText(names[^1]), 1, 1, false, false, out _, out _), "the newest entry survives");
        Assert.IsFalse(cache.TryGet(DnsName.FromText(names[0]), 1, 1, false, false, out _, out _), "the oldest is gone");
    }

    [TestMethod]
    public void Bytes_CountTheWholeEntry_AndAreGivenBackOnEviction()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(serveStale: false);
        DnsAnswer answer = BigAnswer("www.example.com", 20);
        cache.Set(Name, 1, 1, false, false, answer);

        Assert.IsGreaterThan(answer.Message.Length + Name.Length, cache.Bytes, "more than the wire bytes: the objects and the map slot too");
        Assert.AreEqual(DnsCache.EntrySize(Name.Length, answer), cache.Bytes);
        cache.Set(Name, 1, 1, false, false, Answer(60));
        Assert.AreEqual(DnsCache.EntrySize(Name.Length, Answer(60)), cache.Bytes, "a replaced entry gives its bytes back");
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _));
        Assert.AreEqual(0, cache.Bytes);
    }

    [TestMethod]
    public void AnAnswerLargerThanAShardsShare_IsNotKept()
    {
        (DnsCache cache, _) = Create(maxBytes: 16 * 1024); // 1 KB a shard
        Assert.IsFalse(cache.Set(Name, 1, 1, false, false, BigAnswer("www.example.com", 60)));
        Assert.AreEqual(0, cache.Count);
        Assert.IsTrue(cache.Set(Name, 1, 1, false, false, Answer(60)));
    }

    [TestMethod]
    public void Disabled_WithZeroBytes()
    {
        (DnsCache cache, _) = Create(maxBytes: 0);

        Assert.IsFalse(cache.Set(Name, 1, 1, false, false, Answer(60)));
    }

    [TestMethod]
    public void NegativeAnswers_AreKeptAtMostMaxNegativeTtl_PositiveOnesForTheirTtl()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(maxNegativeTtl: 3600);
        byte[] positive = DnsName.FromText("long.example.com");
        Assert.IsTrue(cache.Set(Name, 1, 1, false, false, Answer(86_400, rcode: 3, soaMinimum: 86_400)));
        Assert.IsTrue(cache.Set(Name, 28, 1, false, false, Answer(86_400, soaMinimum: 86_400)), "NODATA");
        Assert.IsTrue(cache.Set(positive, 1, 1, false, false, Answer(86_400, name: "long.example.com")));
        Assert.AreEqual((0u, 3600u), cache.TtlBounds(Answer(86_400, rcode: 3, soaMinimum: 86_400)), "served TTLs are cut the same way");
        Assert.AreEqual((0u, 86_400u), cache.TtlBounds(Answer(60)));

        time.Advance(TimeSpan.FromSeconds(3599));
        Assert.IsTrue(cache.TryGet(Name, 1, 1, false, false, out _, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _), "NXDOMAIN: one hour, not the SOA's day");
        Assert.IsFalse(cache.TryGet(Name, 28, 1, false, false, out _, out _), "NODATA likewise");
        Assert.IsTrue(cache.TryGet(positive, 1, 1, false, false, out _, out _), "positive answers keep their own TTL");
    }

    [TestMethod]
    public void MaxNegativeTtl_BelowMinTtl_Wins()
    {
        (DnsCache cache, _) = Create(minTtl: 600, maxNegativeTtl: 60);

        Assert.AreEqual((60u, 60u), cache.TtlBounds(Answer(5, rcode: 3, soaMinimum: 5)));
        Assert.AreEqual((600u, 86_400u), cache.TtlBounds(Answer(5)));
    }
}
