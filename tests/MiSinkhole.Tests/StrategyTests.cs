using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Upstreams:Strategy as configured reaches the resolver: dig through the daemon.</summary>
[TestClass]
public sealed class StrategyTests
{
    [TestMethod]
    public async Task ParallelBest_FromConfig_AnswersFromTheFasterServer_AndAsksBoth()
    {
        await using var slow = new FakeUpstream();
        slow.Handler = q => new FakeReply(RawMessage.ResponseTo(q.Raw).A(null, 60, "192.0.2.99").ToArray(), TimeSpan.FromMilliseconds(300));
        await using var fast = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(slow.Address, fast.Address)
            .Set("Upstreams:Strategy", "ParallelBest")
            .Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "pair.example", "A");

        Assert.AreEqual("pair.example. 300 IN A 192.0.2.1", dig.Answers.Single(), dig.Output);
        Assert.AreEqual(1, fast.Received.Count(q => q.Name == "pair.example"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!slow.Received.Any(q => q.Name == "pair.example"))
        {
            Assert.IsLessThan(20, clock.Elapsed.TotalSeconds, "both are asked at once (Failover would ask the first, slow one alone)");
            await Task.Delay(20);
        }
    }
}
