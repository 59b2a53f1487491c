using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Cache;

[TestClass]
public sealed class CacheStageTests
{
    [TestMethod]
    public async Task Miss_GoesOn_AndIsStored_ThenTheSameQuestionIsAHit_EachCounted()
    {
        var meters = TestMeters.Factory();
        var time = new FakeTimeProvider();
        var cache = new DnsCache(new CacheOptions(), time, meters);
        var stage = new CacheStage(cache, meters);
        using var hits = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.hits");
        using var misses = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.misses");
        var harness = new StageHarness().Query(RawMessage.Query("www.example.org", 1));
        harness.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("www.example.org", m => m.A(null, 300, "192.0.2.1")));

        await stage.InvokeAsync(harness.Context, harness.Next);
        Outcome first = harness.Context.Outcome;
        time.Advance(TimeSpan.FromSeconds(100));
        harness.Query(RawMessage.Query("WWW.Example.org", 1));
        await stage.InvokeAsync(harness.Context, harness.Next);
        hits.RecordObservableInstruments();
        misses.RecordObservableInstruments();

        Assert.AreEqual(Outcome.Forwarded, first);
        Assert.AreEqual(Outcome.Cached, harness.Context.Outcome);
        Assert.AreEqual(1, harness.NextCalls, "the hit is answered here");
        Assert.AreEqual(1, cache.Count);
        Assert.AreEqual(1L, hits.LastMeasurement?.Value);
        Assert.AreEqual(1L, misses.LastMeasurement?.Value);
        byte[] answer = harness.Context.Response.ToArray();
        Assert.AreEqual(200u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(answer.Length - 10)), "TTL counted down by the 100 s it was held");
    }

    [TestMethod]
    public async Task FailedUpstream_IsAMiss_AndNotStored()
    {
        var meters = TestMeters.Factory();
        var cache = new DnsCache(new CacheOptions(), new FakeTimeProvider(), meters);
        using var misses = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.cache.misses");
        var harness = new StageHarness().Query("down.example");
        harness.Downstream = context => context.Outcome = Outcome.Failed;

        await new CacheStage(cache, meters).InvokeAsync(harness.Context, harness.Next);
        misses.RecordObservableInstruments();

        Assert.AreEqual(0, cache.Count);
        Assert.AreEqual(1L, misses.LastMeasurement?.Value);
    }
}
