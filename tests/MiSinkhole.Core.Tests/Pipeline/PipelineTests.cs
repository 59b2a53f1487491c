using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Pipeline;

/// <summary>The assembled chain, driven directly with contexts (no sockets).</summary>
[TestClass]
public sealed class PipelineTests
{
    private static async Task<(ServiceProvider Services, QueryPipeline Pipeline, TempDirectory Dir)> BuildAsync(FakeUpstream upstream, string policy = "Block")
    {
        var dir = new TempDirectory();
        dir.Write("telemetry.txt", "tracking.miui.com\n");
        dir.Write("essential.txt", "update.tracking.miui.com\n");
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig()
            .Upstream(upstream.Address)
            .List("telemetry", "telemetry.txt")
            .List("essential", "essential.txt")
            .Policy("p", allow: ["essential"])
            .Set($"Policies:p:{policy}:0", "telemetry") // Block or Log
            .DefaultPolicy("p")
            .ReadWithProblems(dir.Path);
        Assert.IsEmpty(problems);
        ServiceProvider services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddQueryPipeline(options)
            .BuildServiceProvider();
        services.GetRequiredService<ActiveConfig>().Load(options);
        await Task.CompletedTask;
        return (services, services.GetRequiredService<QueryPipeline>(), dir);
    }

    /// <summary>
    /// Bytes allocated by 100 runs of the query after 110 warm-up runs, every run completing
    /// synchronously. Between the two, the query log's queue is written out, as its writer does
    /// every second in the daemon (the queue has grown to its working size by then).
    /// </summary>
    private static long AllocatedBySynchronousRuns(QueryPipeline pipeline, byte[] query, QueryContext context, ServiceProvider? services = null)
    {
        for (int i = 0; i < 110; i++)
        {
            Assert.IsTrue(RunSynchronously(pipeline, Context(query, context)));
        }

        services?.GetRequiredService<MiSinkhole.Core.QueryLog.QueryLogWriter>().Flush();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Assert.IsTrue(RunSynchronously(pipeline, Context(query, context)));
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Runs the chain; true when it completed without going asynchronous.</summary>
    private static bool RunSynchronously(QueryPipeline pipeline, QueryContext context)
    {
        ValueTask pending = pipeline.ProcessAsync(context);
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return true;
        }

        pending.AsTask().GetAwaiter().GetResult();
        return false;
    }

    private static QueryContext Context(byte[] query, QueryContext? reuse = null)
    {
        QueryContext context = reuse ?? new QueryContext();
        context.Reset();
        query.CopyTo(context.RequestBuffer, 0);
        context.RequestLength = query.Length;
        context.Transport = DnsTransport.Udp;
        context.Client = ClientAddress.FromIPAddress(IPAddress.Loopback);
        return context;
    }

    [TestMethod]
    public async Task BlockedName_IsAnsweredSynchronously_WithZeroAllocations()
    {
        await using var upstream = new FakeUpstream();
        (ServiceProvider services, QueryPipeline pipeline, TempDirectory dir) = await BuildAsync(upstream);
        using (services)
        using (dir)
        {
            byte[] query = RawMessage.Query("x.tracking.miui.com", 1, edns: true);
            var context = new QueryContext();
            long allocated = AllocatedBySynchronousRuns(pipeline, query, context, services);
            Assert.AreEqual(Outcome.Blocked, context.Outcome);
            Assert.AreEqual(PolicyAction.Blocked, context.PolicyAction);
            Assert.AreEqual("telemetry", context.MatchedList);
            Assert.AreEqual(0L, allocated);
            Assert.AreEqual(0, upstream.Count);
        }
    }

    [TestMethod]
    public async Task CacheHit_IsAnsweredSynchronously_WithZeroAllocations()
    {
        await using var upstream = new FakeUpstream();
        (ServiceProvider services, QueryPipeline pipeline, TempDirectory dir) = await BuildAsync(upstream);
        using (services)
        using (dir)
        {
            byte[] query = RawMessage.Query("www.example.org", 1, edns: true);
            var context = new QueryContext();
            await pipeline.ProcessAsync(Context(query, context));
            Assert.AreEqual(Outcome.Forwarded, context.Outcome);
            long allocated = AllocatedBySynchronousRuns(pipeline, query, context, services);
            Assert.AreEqual(Outcome.Cached, context.Outcome);
            Assert.AreEqual(0L, allocated);
            Assert.AreEqual(1, upstream.Count);
        }
    }

    [TestMethod]
    public async Task AllowListWinsOverBlock_AndLogListForwardsButMarksTheQuery()
    {
        await using var upstream = new FakeUpstream();
        (ServiceProvider blockServices, QueryPipeline blockPipeline, TempDirectory blockDir) = await BuildAsync(upstream);
        (ServiceProvider logServices, QueryPipeline logPipeline, TempDirectory logDir) = await BuildAsync(upstream, policy: "Log");
        using (blockServices)
        using (blockDir)
        using (logServices)
        using (logDir)
        {
            QueryContext allowed = Context(RawMessage.Query("update.tracking.miui.com", 1));
            await blockPipeline.ProcessAsync(allowed);
            QueryContext logged = Context(RawMessage.Query("a.tracking.miui.com", 1));
            await logPipeline.ProcessAsync(logged);

            Assert.AreEqual(PolicyAction.Allowed, allowed.PolicyAction);
            Assert.AreEqual(Outcome.Forwarded, allowed.Outcome);
            Assert.AreEqual(PolicyAction.Logged, logged.PolicyAction);
            Assert.AreEqual(Outcome.Forwarded, logged.Outcome, "log-only: answered normally");
            Assert.AreEqual("telemetry", logged.MatchedList);
            Assert.AreEqual(2, upstream.Count);
        }
    }

    [TestMethod]
    [DataRow(0b001UL, 0UL, 0UL, PolicyAction.Logged, 0, "log list only")]
    [DataRow(0b011UL, 0UL, 0UL, PolicyAction.Blocked, 1, "block beats log")]
    [DataRow(0b111UL, 0UL, 0UL, PolicyAction.Allowed, 2, "allow beats block")]
    [DataRow(0b010UL, 0b010UL, 0UL, PolicyAction.Allowed, 1, "an @@ exception in the block list un-blocks")]
    [DataRow(0b110UL, 0UL, 0b010UL, PolicyAction.Blocked, 1, "$important beats allow")]
    [DataRow(0b010UL, 0b010UL, 0b010UL, PolicyAction.Blocked, 1, "$important beats an exception")]
    [DataRow(0b1000UL, 0UL, 0UL, PolicyAction.None, -1, "a list the policy does not use")]
    [DataRow(0b010UL, 0b1000UL, 0UL, PolicyAction.Blocked, 1, "an exception in a list the policy does not use")]
    public void CompiledPolicy_DecisionTable(ulong lists, ulong exceptions, ulong important, PolicyAction action, int list, string why)
    {
        var policy = new CompiledPolicy(new PolicyOptions { Name = "p", Log = ["l"], Block = ["b"], Allow = ["a"] }, ["l", "b", "a", "other"]);

        PolicyDecision decision = policy.Decide(new MiSinkhole.Rules.RuleMatch(lists, exceptions, important));

        Assert.AreEqual(new PolicyDecision(action, list), decision, why);
    }

    [TestMethod]
    public void CompiledPolicy_PrecedenceIsAllowThenBlockThenLog()
    {
        var policy = new CompiledPolicy(new PolicyOptions { Name = "p", Allow = ["a"], Block = ["b"], Log = ["l"] }, ["l", "b", "a"]);

        Assert.AreEqual(new PolicyDecision(PolicyAction.Allowed, 2), policy.Decide(new MiSinkhole.Rules.RuleMatch(0b111)));
        Assert.AreEqual(new PolicyDecision(PolicyAction.Blocked, 1), policy.Decide(new MiSinkhole.Rules.RuleMatch(0b011)));
        Assert.AreEqual(new PolicyDecision(PolicyAction.Logged, 0), policy.Decide(new MiSinkhole.Rules.RuleMatch(0b001)));
        Assert.AreEqual(PolicyAction.None, policy.Decide(default).Action);
    }
}
