using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Tests.Pipeline;

[TestClass]
public sealed class QueryCompletionsTests
{
    /// <summary>A stage's completion that notes when it ran and what it saw.</summary>
    private sealed class Recorder(List<string> log, string name, Exception? throws = null) : IQueryCompletion
    {
        public void Complete(QueryContext context, long state, Exception? error)
        {
            log.Add($"{name}:{state}:{error?.Message ?? "ok"}");
            if (throws is not null)
            {
                throw throws;
            }
        }
    }

    [TestMethod]
    public async Task DeferredStages_RunInnermostFirst_WithTheirState_ThenTheTaskCompletes()
    {
        var context = new QueryContext();
        var log = new List<string>();
        var upstream = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        ValueTask inner = context.Defer(new ValueTask(upstream.Task), new Recorder(log, "forward"), 7);
        ValueTask middle = context.Defer(inner, new Recorder(log, "cache"), 8);
        ValueTask outer = context.Defer(middle, new Recorder(log, "accounting"), 9);
        Assert.IsFalse(outer.IsCompleted);
        Assert.AreEqual(0, log.Count, "nothing runs before the inner part is done");

        upstream.SetResult();
        await outer;

        CollectionAssert.AreEqual(new[] { "forward:7:ok", "cache:8:ok", "accounting:9:ok" }, log);
    }

    [TestMethod]
    public async Task AnUpstreamAnsweringBeforeTheOuterStagesDeferred_StillRunsEveryStep()
    {
        // The upstream's thread may finish while the receive thread is still on its way out
        // through the outer stages: their steps must not be lost.
        var context = new QueryContext();
        var log = new List<string>();
        var upstream = new TaskCompletionSource();

        ValueTask inner = context.Defer(new ValueTask(upstream.Task), new Recorder(log, "forward"));
        upstream.SetResult();
        Assert.IsFalse(inner.IsCompleted, "pending until the transport waits on it");
        ValueTask outer = context.Defer(context.Defer(inner, new Recorder(log, "cache")), new Recorder(log, "accounting"));
        Assert.AreEqual(0, log.Count);
        await outer;

        CollectionAssert.AreEqual(new[] { "forward:0:ok", "cache:0:ok", "accounting:0:ok" }, log);
    }

    [TestMethod]
    public async Task AFailedInnerPart_ReachesEveryCompletion_AndTheAwaiter()
    {
        var context = new QueryContext();
        var log = new List<string>();
        var upstream = new TaskCompletionSource();

        ValueTask task = context.Defer(context.Defer(new ValueTask(upstream.Task), new Recorder(log, "forward")), new Recorder(log, "accounting"));
        upstream.SetException(new InvalidOperationException("upstream broke"));

        var thrown = await Assert.ThrowsExactlyAsync<InvalidOperationException>(async () => await task);
        Assert.AreEqual("upstream broke", thrown.Message);
        CollectionAssert.AreEqual(new[] { "forward:0:upstream broke", "accounting:0:upstream broke" }, log);
    }

    [TestMethod]
    public async Task ACompletionThatThrows_IsWhatTheOuterOnesAndTheAwaiterSee()
    {
        var context = new QueryContext();
        var log = new List<string>();
        var upstream = new TaskCompletionSource();

        ValueTask task = context.Defer(context.Defer(new ValueTask(upstream.Task), new Recorder(log, "inspect", new FormatException("bad answer"))), new Recorder(log, "accounting"));
        upstream.SetResult();

        await Assert.ThrowsExactlyAsync<FormatException>(async () => await task);
        CollectionAssert.AreEqual(new[] { "inspect:0:ok", "accounting:0:bad answer" }, log);
    }

    [TestMethod]
    public async Task AResetContext_DefersItsNextQueryAfresh()
    {
        var context = new QueryContext();
        var log = new List<string>();
        for (int query = 1; query <= 3; query++)
        {
            var upstream = new TaskCompletionSource();
            ValueTask task = context.Defer(new ValueTask(upstream.Task), new Recorder(log, $"q{query}"));
            upstream.SetResult();
            await task;
            context.Reset();
        }

        CollectionAssert.AreEqual(new[] { "q1:0:ok", "q2:0:ok", "q3:0:ok" }, log, "each query's completions run once, none left over");
    }

    [TestMethod]
    public void WhenDone_CallsTheTransportBackOnceTheChainIsDone_AndEndPendingGivesItsOutcome()
    {
        var context = new QueryContext();
        var log = new List<string>();
        var upstream = new TaskCompletionSource();
        var done = new List<string>();
        void Answered(QueryContext answered)
        {
            try
            {
                answered.EndPending();
                done.Add("answered");
            }
            catch (InvalidOperationException e)
            {
                done.Add(e.Message);
            }
        }

        context.WhenDone(context.Defer(new ValueTask(upstream.Task), new Recorder(log, "forward")), Answered);
        Assert.AreEqual(0, done.Count, "not before the upstream answers");
        upstream.SetResult();
        CollectionAssert.AreEqual(new[] { "answered" }, done);
        CollectionAssert.AreEqual(new[] { "forward:0:ok" }, log, "the stages' steps ran before the transport's");

        context.Reset();
        var failing = new TaskCompletionSource();
        context.WhenDone(context.Defer(new ValueTask(failing.Task), new Recorder(log, "forward")), Answered);
        failing.SetException(new InvalidOperationException("no upstream"));
        CollectionAssert.AreEqual(new[] { "answered", "no upstream" }, done);
    }
}
