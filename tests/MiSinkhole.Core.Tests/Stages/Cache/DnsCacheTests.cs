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

    private static (DnsCache Cache, FakeTimeProvider Time) Create(int maxEntries = 100, int minTtl = 0, int maxTtl = 86400)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var cache = new DnsCache(new CacheOptions { MaxEntries = maxEntries, MinTtl = TimeSpan.FromSeconds(minTtl), MaxTtl = TimeSpan.FromSeconds(maxTtl) }, time, TestMeters.Factory());
        return (cache, time);
    }

    [TestMethod]
    public void PositiveAnswer_LivesForItsTtl_AndReportsElapsedSeconds()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();
        Assert.IsTrue(cache.Set(Name, 1, 1, false, false, Answer(60)));

        time.Advance(TimeSpan.FromSeconds(59.5));
        Assert.IsTrue(cache.TryGet(Name, 1, 1, false, false, out DnsAnswer? hit, out uint elapsed));
        Assert.AreEqual(59u, elapsed);
        Assert.IsNotNull(hit);

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.IsFalse(cache.TryGet(Name, 1, 1, false, false, out _, out _));
        Assert.AreEqual(0, cache.Count, "expired entries are removed when found");
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
}
