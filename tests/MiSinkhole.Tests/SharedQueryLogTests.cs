using System.Net.Http.Json;
using System.Text.Json;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Two daemons writing one query log in a real PostgreSQL (Debian's, a private cluster on
/// loopback): either's API shows both's queries, each with its instance; when the database goes
/// away DNS answers as before, events wait (up to the queue's bound, then drop, counted) and are
/// written when it is back.
/// </summary>
[TestClass]
public sealed class SharedQueryLogTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, PostgresServer postgres, string instance, int queueSize = 4096) =>
        RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .Policy("strict", block: ["xiaomi-telemetry"])
            .DefaultPolicy("strict")
            .Device("tv", null, "127.0.0.2")
            .Device("phone", null, "127.0.0.3")
            .Set("Instance:Name", instance)
            .Set("QueryLog:Provider", "Postgres")
            .Set("QueryLog:ConnectionString", postgres.ConnectionString)
            .Set("QueryLog:QueueSize", queueSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set("QueryLog:FlushInterval", "100ms")
            .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\n" });

    /// <summary>The log as instance, device, name and the queries it holds for them (rows of two minutes added up: a repeat across a minute's end is a second row).</summary>
    private static async Task<string[]> LogAsync(RunningDaemon daemon)
    {
        using HttpClient http = daemon.ApiClient();
        JsonElement page = await http.GetFromJsonAsync<JsonElement>("/api/querylog?limit=1000");
        return [.. page.GetProperty("items").EnumerateArray()
            .GroupBy(r => $"{r.GetProperty("instance").GetString()} {r.GetProperty("device").GetString()} {r.GetProperty("name").GetString()}")
            .Select(g => $"{g.Key} {g.Sum(r => r.GetProperty("count").GetInt64())}")
            .Order(StringComparer.Ordinal)];
    }

    [TestMethod]
    public async Task TwoInstances_ShowOneLog_WithTheInstanceOnEachRow()
    {
        await using PostgresServer postgres = await PostgresServer.StartNewAsync();
        await using var upstream = new FakeUpstream();
        await using RunningDaemon pi = await StartAsync(upstream, postgres, "pi");
        await using RunningDaemon nas = await StartAsync(upstream, postgres, "nas");

        await Dig.RunAsync(pi.EndPoint, "-b", "127.0.0.2", "tracking.miui.com", "A");
        await Dig.RunAsync(pi.EndPoint, "-b", "127.0.0.2", "tracking.miui.com", "A");
        await Dig.RunAsync(nas.EndPoint, "-b", "127.0.0.3", "data.tracking.miui.com", "A");
        pi.Get<QueryLogWriter>().Flush();
        nas.Get<QueryLogWriter>().Flush();

        string[] expected = ["nas phone data.tracking.miui.com 1", "pi tv tracking.miui.com 2"];
        CollectionAssert.AreEqual(expected, await LogAsync(pi), "both instances' queries, each with its instance");
        using (HttpClient api = pi.ApiClient())
        {
            JsonElement[] rows = [.. (await api.GetFromJsonAsync<JsonElement>("/api/querylog?device=tv")).GetProperty("items").EnumerateArray()];
            int minutes = rows.Select(r => r.GetProperty("time").GetDateTimeOffset().ToUnixTimeSeconds() / 60).Distinct().Count();
            Assert.AreEqual(minutes, rows.Length, "one row a minute: a repeat within the minute adds to its row, in PostgreSQL too");
        }

        CollectionAssert.AreEqual(expected, await LogAsync(nas));
        using HttpClient http = nas.ApiClient();
        JsonElement stats = await http.GetFromJsonAsync<JsonElement>("/api/stats?since=1h");
        Assert.AreEqual(3, stats.GetProperty("total").GetInt64());
        Assert.AreEqual(2, stats.GetProperty("byDevice").GetProperty("tv").GetInt64());
        JsonElement onlyPi = await http.GetFromJsonAsync<JsonElement>("/api/querylog?instance=pi");
        Assert.AreEqual("pi", onlyPi.GetProperty("items").EnumerateArray().Single().GetProperty("instance").GetString());
        Assert.AreEqual("1", await postgres.QueryAsync("SELECT version FROM misinkhole_schema WHERE component = 'querylog'"), "migrated once, versioned");
        StringAssert.StartsWith(await postgres.QueryAsync("SELECT string_agg(relname, ',') FROM pg_inherits JOIN pg_class ON oid = inhrelid WHERE inhparent = 'queries'::regclass"), "queries_d");
    }

    [TestMethod]
    public async Task TheDatabaseAway_DnsAnswers_EventsWaitUpToTheBound_AndAreWrittenWhenItIsBack()
    {
        await using PostgresServer postgres = await PostgresServer.StartNewAsync();
        await using var upstream = new FakeUpstream();
        await using RunningDaemon pi = await StartAsync(upstream, postgres, "pi", queueSize: 100);
        QueryLogWriter writer = pi.Get<QueryLogWriter>();
        await Dig.RunAsync(pi.EndPoint, "-b", "127.0.0.2", "first.tracking.miui.com", "A");
        writer.Flush();
        Assert.IsTrue(writer.Reachable);

        await postgres.StopAsync();
        for (int i = 0; i < 130; i++)
        {
            DigResult answer = await Dig.RunAsync(pi.EndPoint, "-b", "127.0.0.2", "+short", $"n{i}.tracking.miui.com", "A");
            Assert.AreEqual("0.0.0.0", answer.Output.Trim(), "answered while the database is away");
        }

        writer.Flush();
        Assert.IsFalse(writer.Reachable, "the write failed");
        Assert.AreEqual(30, writer.Dropped, "130 events, 100 kept: the queue's bound");
        using (HttpClient http = pi.ApiClient())
        {
            Assert.AreEqual(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/api/querylog")).StatusCode, "the log's reads say so");
            Assert.AreEqual(System.Net.HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode, "ready: DNS works");
        }

        await postgres.StartAsync();
        await Poll.UntilAsync(() => { writer.Flush(); return writer.Reachable; }, "written once the database is back (after the back-off)", TimeSpan.FromSeconds(60));

        string[] log = await LogAsync(pi);
        Assert.AreEqual(101, log.Length, "the first and the 100 kept");
        Assert.AreEqual(30, writer.Dropped);
    }
}
