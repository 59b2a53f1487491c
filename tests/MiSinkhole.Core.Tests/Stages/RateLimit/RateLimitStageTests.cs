using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.RateLimit;

[TestClass]
public sealed class RateLimitStageTests
{
    private static RateLimitStage Create(string? action, int burst = 2)
    {
        MiSinkhole.Core.Configuration.SinkholeOptions options = new TestConfig().List("l", "/dev/null")
            .Set("RateLimit:Rate", "1").Set("RateLimit:Burst", burst.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set("RateLimit:Action", action)
            .Read(Path.GetTempPath());
        return new RateLimitStage(new ClientLimiter(options, new FakeTimeProvider()), options);
    }

    [TestMethod]
    [DataRow(null, DisplayName = "default: Truncate")]
    [DataRow("Truncate")]
    [DataRow("Drop")]
    [DataRow("Refused")]
    public async Task OverTheRate_GetsTheAction_NeverLargerThanTheQuery(string? action)
    {
        RateLimitStage stage = Create(action);
        byte[] query = RawMessage.Query("limited.example", 1, edns: true);
        var harnesses = Enumerable.Range(0, 3).Select(_ => new StageHarness().Query(query)).ToArray();

        foreach (StageHarness harness in harnesses)
        {
            await stage.InvokeAsync(harness.Context, harness.Next);
        }

        StageHarness over = harnesses[2];
        Assert.AreEqual(2, harnesses[0].NextCalls + harnesses[1].NextCalls, "the burst passes");
        Assert.AreEqual(0, over.NextCalls);
        Assert.AreEqual(Outcome.Limited, over.Context.Outcome);
        Assert.AreEqual(LimitReason.Rate, over.Context.Limit);
        Assert.IsLessThanOrEqualTo(query.Length, over.Context.ResponseLength);
        switch (action ?? "Truncate")
        {
            case "Truncate":
                Assert.IsTrue(over.Truncated);
                Assert.AreEqual(0, over.ResponseCode);
                break;
            case "Refused":
                Assert.AreEqual(5, over.ResponseCode);
                break;
            default:
                Assert.AreEqual(0, over.Context.ResponseLength);
                break;
        }
    }

    [TestMethod]
    public async Task TcpQueries_AndExemptClients_AreNotCounted()
    {
        RateLimitStage stage = Create("Drop", burst: 1);
        int passed = 0;
        for (int i = 0; i < 5; i++)
        {
            var tcp = new StageHarness().Query(RawMessage.Query("tcp.example", 1), transport: DnsTransport.Tcp);
            var loopback = new StageHarness().Query(RawMessage.Query("lo.example", 1), "127.0.0.1");
            await stage.InvokeAsync(tcp.Context, tcp.Next);
            await stage.InvokeAsync(loopback.Context, loopback.Next);
            passed += tcp.NextCalls + loopback.NextCalls;
        }

        Assert.AreEqual(10, passed);
    }
}
