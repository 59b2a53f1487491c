using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

[TestClass]
public sealed class ForwardStageTests
{
    private static (ForwardStage Stage, UpstreamResolver Resolver) Create(string upstream, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        var options = new UpstreamOptions
        {
            Servers = [UpstreamServer.Plain(System.Net.IPEndPoint.Parse(upstream))],
            AttemptTimeout = TimeSpan.FromMilliseconds(200),
            Timeout = TimeSpan.FromMilliseconds(400),
        };
        var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), NullLogger<UpstreamResolver>.Instance, meters);
        return (new ForwardStage(resolver, new DnsCache(new CacheOptions(), new FakeTimeProvider(), meters), new MiSinkhole.Core.Stages.RateLimit.ClientLimiter(new MiSinkhole.Core.Configuration.SinkholeOptions(), TimeProvider.System)), resolver);
    }

    [TestMethod]
    public async Task Answer_IsWrittenForTheClient_AndTheExchangeCounted()
    {
        await using var upstream = new FakeUpstream();
        var meters = TestMeters.Factory();
        using var exchanges = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.queries");
        (ForwardStage stage, _) = Create(upstream.Address, meters);
        var harness = new StageHarness().Query(RawMessage.Query("www.example.org", 1, id: 0x4242));

        await stage.InvokeAsync(harness.Context, harness.Next);

        Assert.AreEqual(Outcome.Forwarded, harness.Context.Outcome);
        Assert.AreEqual(0x4242, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(harness.Context.Response), "the client's own id");
        Assert.AreEqual(1, upstream.Count);
        Assert.AreEqual("ok", exchanges.LastMeasurement?.Tags["result"]);
        Assert.AreEqual(upstream.Address, exchanges.LastMeasurement?.Tags["upstream"]);
    }

    [TestMethod]
    public async Task SilentUpstream_GetsServFail_WithinTheBudget()
    {
        await using var silent = new FakeUpstream { Handler = _ => FakeReply.Drop };
        var meters = TestMeters.Factory();
        using var exchanges = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.queries");
        (ForwardStage stage, _) = Create(silent.Address, meters);
        var harness = new StageHarness().Query(RawMessage.Query("www.example.org", 1));

        await stage.InvokeAsync(harness.Context, harness.Next);

        Assert.AreEqual(Outcome.Failed, harness.Context.Outcome);
        Assert.AreEqual(2, harness.ResponseCode, "SERVFAIL");
        Assert.AreEqual("timeout", exchanges.LastMeasurement?.Tags["result"]);
    }

    [TestMethod]
    public async Task PrivateReverseLookup_IsAnsweredInTheStage_AsNxdomain_WithoutAskingUpstream()
    {
        await using var upstream = new FakeUpstream();
        var meters = TestMeters.Factory();
        (ForwardStage stage, UpstreamResolver resolver) = Create(upstream.Address, meters);
        await using (resolver)
        {
            var harness = new StageHarness().Query(RawMessage.Query("5.1.168.192.IN-ADDR.arpa", 12, id: 0x5151, edns: true));

            await stage.InvokeAsync(harness.Context, harness.Next);

            Assert.AreEqual(Outcome.Forwarded, harness.Context.Outcome, "served like an upstream answer, so the cache keeps it");
            Assert.AreEqual(3, harness.ResponseCode, "NXDOMAIN");
            Assert.AreEqual(0x5151, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(harness.Context.Response));
            Assert.AreEqual(10800u, harness.Context.Answer?.CacheTtl);
            Assert.AreEqual(0, upstream.Count);
        }
    }
}
