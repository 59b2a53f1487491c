using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The per-client token bucket through the daemon: its actions, who it spares, and where it is counted.</summary>
[TestClass]
public sealed class RateLimitTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string? action = null) =>
        RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .List("ads", "ads.txt").Policy("strict", block: ["ads"])
            .Device("phone", null, "127.0.0.2")
            .Set("RateLimit:Rate", "1").Set("RateLimit:Burst", "20").Set("RateLimit:Exempt", "").Set("RateLimit:Action", action)
            .Values, new Dictionary<string, string> { ["ads.txt"] = "ads.example\n" });

    /// <summary>Sends <paramref name="count"/> queries for a blocked name from 127.0.0.2, one after the other; returns the answers (null: none came).</summary>
    private static async Task<List<byte[]?>> BurstAsync(RunningDaemon daemon, int count, TimeSpan? timeout = null)
    {
        var answers = new List<byte[]?>();
        for (int i = 0; i < count; i++)
        {
            answers.Add(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("ads.example", 1, id: (ushort)i, edns: true), timeout, IPAddress.Parse("127.0.0.2")));
        }

        return answers;
    }

    [TestMethod]
    public async Task OverTheBurst_UdpGetsTc_DigRetriesOverTcp_AndOtherClientsAreUntouched()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);

        List<byte[]?> answers = await BurstAsync(daemon, 40);
        DigResult truncated = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "+ignore", "ads.example", "A");
        DigResult retried = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "ads.example", "A");
        DigResult other = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "+ignore", "ads.example", "A");

        DnsMessage[] parsed = [.. answers.Select(Wire.Parse)];
        int whole = parsed.Count(m => !m.IsTruncated && m.AnswerRecords.Count == 1);
        Assert.IsGreaterThanOrEqualTo(20, whole, "the burst is answered");
        Assert.IsLessThanOrEqualTo(22, whole, "and then the rate (1 a second), not more");
        Assert.IsTrue(parsed.Skip(25).All(m => m.IsTruncated && m.AnswerRecords.Count == 0), "past it: TC=1, header and question");
        Assert.IsTrue(answers.Skip(25).All(a => a!.Length <= RawMessage.Query("ads.example", 1, edns: true).Length), "never larger than the query");
        Assert.Contains("tc", truncated.Flags.Split(' '), truncated.Output);
        Assert.HasCount(1, retried.Answers, "dig retries over TCP, which the bucket does not count: " + retried.Output);
        Assert.DoesNotContain("tc", other.Flags.Split(' '), "another client has its own bucket: " + other.Output);
    }

    [TestMethod]
    [DataRow("Refused")]
    [DataRow("Drop")]
    public async Task Action_RefusedOrDrop(string action)
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream, action);

        // Two past the burst of 20, within well under a second (at 1 a second, no token comes back in time).
        List<byte[]?> answers = await BurstAsync(daemon, 22, TimeSpan.FromMilliseconds(300));

        Assert.IsTrue(answers.Take(20).All(a => Wire.Parse(a).ReturnCode == ReturnCode.NoError), "the burst is answered");
        IEnumerable<byte[]?> over = answers.Skip(20);
        if (action == "Drop")
        {
            Assert.IsTrue(over.All(a => a is null), "dropped: no answer at all");
        }
        else
        {
            Assert.IsTrue(over.All(a => Wire.Parse(a).ReturnCode == ReturnCode.Refused));
        }
    }

    [TestMethod]
    public async Task LimitedQueries_AreCountedPerDevice_InTheMetricsAndTheInventory()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        using var limited = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.rate_limited.queries");

        await BurstAsync(daemon, 40);
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "ads.example", "A");
        limited.RecordObservableInstruments();
        using HttpClient http = daemon.ApiClient();
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>("/api/devices");

        var phone = limited.GetMeasurementSnapshot().Last(m => (string?)m.Tags["device"] == "phone");
        Assert.AreEqual("rate", phone.Tags["limit"]);
        Assert.IsGreaterThanOrEqualTo(18, phone.Value);
        Assert.IsFalse(limited.GetMeasurementSnapshot().Any(m => (string?)m.Tags["device"] == "unknown"), "the other client was never limited");
        JsonElement[] clients = [.. devices.GetProperty("clients").EnumerateArray()];
        long phoneLimited = clients.Single(c => c.GetProperty("device").GetString() == "phone").GetProperty("rateLimited").GetInt64();
        Assert.AreEqual(phone.Value, phoneLimited, "the inventory shows the same count");
        Assert.AreEqual(0, clients.Single(c => c.GetProperty("key").GetString() == "127.0.0.3").GetProperty("rateLimited").GetInt64());
    }
}
