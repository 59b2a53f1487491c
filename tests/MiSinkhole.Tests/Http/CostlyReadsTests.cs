using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;
using MiSinkhole.Http;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// The API reads that cost CPU (explain, stats, querylog by name) run a few at a time with a short
/// queue, through the real daemon: with every place taken, requests wait, the one beyond the
/// queue gets 503 at once, the cheap reads go on, and the waiting ones are answered once places
/// free up.
/// </summary>
[TestClass]
public sealed class CostlyReadsTests
{
    [TestMethod]
    public async Task CostlyReads_RunAFewAtATime_WaitInAShortQueue_AndBeyondItGet503_WhileCheapReadsGoOn()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig().Upstream(upstream.Address).List("xiaomi-telemetry", "telemetry.txt").Policy("strict", block: ["xiaomi-telemetry"]).Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\n" });
        CostlyReads reads = daemon.Get<CostlyReads>();
        using HttpClient http = daemon.ApiClient();
        var held = new List<RateLimitLease>();
        for (int i = 0; i < reads.Concurrency; i++)
        {
            held.Add(await reads.AcquireAsync(CancellationToken.None));
        }

        string[] costly = ["/api/explain?name=data.mistat.xiaomi.com", "/api/stats?since=1h", "/api/querylog?name=xiaomi.com"];
        Task<HttpResponseMessage>[] waiting = [.. Enumerable.Range(0, reads.QueueLimit).Select(i => http.GetAsync(new Uri(costly[i % costly.Length], UriKind.Relative)))];
        var polled = Stopwatch.StartNew();
        while (reads.Waiting < reads.QueueLimit)
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(30), polled.Elapsed, $"{reads.Waiting} of {reads.QueueLimit} requests queued");
            await Task.Delay(20);
        }

        using HttpResponseMessage refused = await http.GetAsync(new Uri(costly[0], UriKind.Relative));
        using HttpResponseMessage cheap = await http.GetAsync(new Uri("/api/querylog?limit=5", UriKind.Relative));
        using HttpResponseMessage devices = await http.GetAsync(new Uri("/api/devices", UriKind.Relative));
        bool noneAnswered = waiting.All(t => !t.IsCompleted);
        held.ForEach(l => l.Dispose());
        HttpResponseMessage[] answered = await Task.WhenAll(waiting);

        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.AreEqual("1", refused.Headers.RetryAfter?.ToString());
        Assert.AreEqual(HttpStatusCode.OK, cheap.StatusCode, "the query log without a name filter is no costly read");
        Assert.AreEqual(HttpStatusCode.OK, devices.StatusCode);
        Assert.IsTrue(noneAnswered, "while every place was taken, the queued reads waited");
        Assert.IsTrue(answered.All(r => r.StatusCode == HttpStatusCode.OK), string.Join(", ", answered.Select(r => r.StatusCode)));
        Assert.AreEqual(reads.Concurrency, reads.Available);
    }
}
