using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Cache;

/// <summary>The cache's serve-stale and prefetch bookkeeping, on a fake clock.</summary>
[TestClass]
public sealed class StaleCacheTests
{
    private static readonly byte[] Name = DnsName.FromText("www.example.com");

    private static DnsAnswer Answer(uint ttl, string name = "www.example.com")
    {
        RawMessage response = RawMessage.ResponseTo(RawMessage.Query(name, 1)).A(null, ttl, "192.0.2.1");
        return DnsAnswer.TryParse(response.ToArray(), DnsName.FromText(name), 1, 1)!;
    }

    private static (DnsCache Cache, FakeTimeProvider Time) Create(bool serveStale = true, int staleMaxAge = 3600, bool prefetch = true, int maxEntries = 100)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new CacheOptions
        {
            MaxEntries = maxEntries,
            ServeStale = serveStale,
            StaleMaxAge = TimeSpan.FromSeconds(staleMaxAge),
            Prefetch = prefetch,
        };
        return (new DnsCache(options, time, TestMeters.Factory()), time);
    }

    private static bool Hit(DnsCache cache, out bool prefetch, byte[]? name = null) =>
        cache.TryGet(name ?? Name, 1, 1, false, false, out _, out _, out prefetch);

    [TestMethod]
    public void ExpiredEntry_IsNoHit_ButServableStale_UntilStaleMaxAge_ThenRemoved()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(staleMaxAge: 600);
        DnsAnswer answer = Answer(60);
        cache.Set(Name, 1, 1, false, false, answer);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.IsFalse(Hit(cache, out _), "expired: no fresh hit");
        Assert.AreEqual(1, cache.Count, "kept for serve-stale");
        Assert.AreSame(answer, cache.FindStale(Name, 1, 1, false, false)?.Answer);
        Assert.IsNull(cache.FindStale(Name, 1, 1, true, false), "the key still counts DO");

        time.Advance(TimeSpan.FromSeconds(599));
        Assert.IsNull(cache.FindStale(Name, 1, 1, false, false), "60 s TTL + 600 s StaleMaxAge are over");
        Assert.AreEqual(0, cache.Count, "and the entry is gone");
    }

    [TestMethod]
    public void WithoutServeStale_NothingIsServableStale()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(serveStale: false);
        cache.Set(Name, 1, 1, false, false, Answer(60));

        Assert.IsNull(cache.FindStale(Name, 1, 1, false, false));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.IsNull(cache.FindStale(Name, 1, 1, false, false));
        Assert.IsFalse(Hit(cache, out _));
        Assert.AreEqual(0, cache.Count, "an expired entry is removed when found, as before serve-stale");
    }

    [TestMethod]
    public void StaleEntries_CountAgainstMaxEntries_AndGoFirstWhenLeastRecentlyUsed()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(maxEntries: 16); // one entry a shard
        string[] names = [.. Enumerable.Range(0, 200).Select(i => $"n{i}.example")];
        foreach (string name in names)
        {
            cache.Set(DnsName.FromText(name), 1, 1, false, false, Answer(10, name));
        }

        int kept = cache.Count;
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.AreEqual(kept, cache.Count, "expired entries still count");
        Assert.IsLessThanOrEqualTo(16, kept);
        Assert.IsNotNull(cache.FindStale(DnsName.FromText(names[^1]), 1, 1, false, false), "the newest survives");
        Assert.IsNull(cache.FindStale(DnsName.FromText(names[0]), 1, 1, false, false), "the oldest was evicted, stale or not");
    }

    [TestMethod]
    public void RefreshFailed_MakesTheEntryServedAtOnce_ForTheFailureRecheckTime()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();
        cache.Set(Name, 1, 1, false, false, Answer(60));
        time.Advance(TimeSpan.FromSeconds(61));
        CacheEntry entry = cache.FindStale(Name, 1, 1, false, false)!;
        Assert.IsFalse(cache.FailedRecently(entry));

        cache.RefreshFailed(entry);
        time.Advance(DnsCache.FailureRecheck - TimeSpan.FromSeconds(1));
        Assert.IsTrue(cache.FailedRecently(entry));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsFalse(cache.FailedRecently(entry), "after 30 s the client waits on upstreams again");
    }

    [TestMethod]
    public void APrefetchThatCouldNotStart_IsAskedForAgainAtTheNextHit()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();
        cache.Set(Name, 1, 1, false, false, Answer(100));
        for (int i = 0; i < DnsCache.PopularHits; i++)
        {
            Hit(cache, out _);
        }

        time.Advance(TimeSpan.FromSeconds(91));
        Assert.IsTrue(Hit(cache, out bool due) && due);
        cache.PrefetchNotStarted(Name, 1, 1, false, false); // the refresher was busy

        Assert.IsTrue(Hit(cache, out bool again));
        Assert.IsTrue(again, "a popular name is not left to expire into a miss because the refresher was busy once");
    }

    [TestMethod]
    public void PopularEntry_IsDueForPrefetch_OnceInTheLastTenthOfItsTtl()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();
        cache.Set(Name, 1, 1, false, false, Answer(100));
        for (int i = 0; i < DnsCache.PopularHits - 1; i++)
        {
            Assert.IsTrue(Hit(cache, out bool early));
            Assert.IsFalse(early, "not in the last tenth yet");
        }

        time.Advance(TimeSpan.FromSeconds(89));
        Assert.IsTrue(Hit(cache, out bool at89));
        Assert.IsFalse(at89, "11 s of 100 left");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.IsTrue(Hit(cache, out bool at91));
        Assert.IsTrue(at91, "popular, 9 s of 100 left");
        Assert.IsTrue(Hit(cache, out bool again));
        Assert.IsFalse(again, "at most once per entry");

        cache.Set(Name, 1, 1, false, false, Answer(100));
        time.Advance(TimeSpan.FromSeconds(95));
        Assert.IsTrue(Hit(cache, out bool refreshed));
        Assert.IsTrue(refreshed, "the refreshed entry keeps its hits, so it is prefetched again");
    }

    [TestMethod]
    public void UnpopularEntries_AndOldHits_AreNotPrefetched()
    {
        (DnsCache cache, FakeTimeProvider time) = Create();
        byte[] rare = DnsName.FromText("rare.example");
        cache.Set(rare, 1, 1, false, false, Answer(100, "rare.example"));
        time.Advance(TimeSpan.FromSeconds(95));
        Assert.IsTrue(Hit(cache, out bool once, rare));
        Assert.IsFalse(once, "one hit is not popular");

        byte[] old = DnsName.FromText("old.example");
        cache.Set(old, 1, 1, false, false, Answer(86400, "old.example"));
        for (int i = 0; i < DnsCache.PopularHits; i++)
        {
            Hit(cache, out _, old);
        }

        time.Advance(TimeSpan.FromHours(23));
        Assert.IsTrue(Hit(cache, out bool stale, old));
        Assert.IsFalse(stale, "its hits were a day ago: not asked often in the last hour");
    }

    [TestMethod]
    public void WithoutPrefetch_NothingIsEverDue()
    {
        (DnsCache cache, FakeTimeProvider time) = Create(prefetch: false);
        cache.Set(Name, 1, 1, false, false, Answer(100));
        bool due = false;
        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(9));
            Hit(cache, out bool prefetch);
            due |= prefetch;
        }

        Assert.IsFalse(due);
    }
}
