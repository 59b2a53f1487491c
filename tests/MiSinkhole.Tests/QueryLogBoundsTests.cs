using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// The query log's bounds through the running daemon and its real SQLite file: a client retrying
/// a blocked name is one row a minute with a count, and the file keeps to <c>QueryLog:MaxBytes</c>.
/// </summary>
[TestClass]
public sealed class QueryLogBoundsTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string dataDirectory, params (string Key, string Value)[] more)
    {
        TestConfig config = new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .Set("DataDirectory", dataDirectory)
            .Set("QueryLog:FlushInterval", "1h"); // the test flushes
        foreach ((string key, string value) in more)
        {
            config.Set(key, value);
        }

        return RunningDaemon.StartAsync(config.Values, new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\n" });
    }

    [TestMethod]
    public async Task ARetryStorm_IsOneRowAMinuteWithItsCount()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path);
        IPAddress phone = IPAddress.Parse("127.0.0.2");
        byte[] retry = RawMessage.Query("data.mistat.xiaomi.com", 1);

        for (int flush = 0; flush < 5; flush++)
        {
            for (int i = 0; i < 40; i++)
            {
                Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, retry, from: phone)); // a new source port each time
            }

            Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, retry, from: IPAddress.Parse("127.0.0.3")));
            daemon.Get<QueryLogWriter>().Flush();
        }

        string path = Path.Combine(data.Path, "querylog.db");
        List<(string Client, long Count)> rows = Rows(path);
        Assert.IsLessThanOrEqualTo(4, rows.Count, "one row per client a minute (two when the test crossed a minute): " + string.Join(", ", rows));
        Assert.AreEqual(200, rows.Where(r => r.Client == "127.0.0.2").Sum(r => r.Count));
        Assert.AreEqual(5, rows.Where(r => r.Client == "127.0.0.3").Sum(r => r.Count), "another client is its own row");

        using HttpClient http = daemon.ApiClient();
        JsonElement stats = await http.GetFromJsonAsync<JsonElement>("/api/stats?since=1h");
        Assert.AreEqual(205, stats.GetProperty("total").GetInt64(), "totals count the queries, not the rows");
        JsonElement page = await http.GetFromJsonAsync<JsonElement>("/api/querylog?limit=10");
        Assert.AreEqual(205, page.GetProperty("items").EnumerateArray().Sum(r => r.GetProperty("count").GetInt64()));
    }

    [TestMethod]
    public async Task TheFile_KeepsToMaxBytes_TheOldestRowsGoingFirst()
    {
        const long budget = 256 << 10;
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path, ("QueryLog:MaxBytes", "256KB"));
        string path = Path.Combine(data.Path, "querylog.db");

        int asked = 0;
        for (int flush = 0; flush < 25; flush++)
        {
            for (int i = 0; i < 200; i++, asked++)
            {
                Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"n{asked}.data.mistat.xiaomi.com", 1)));
            }

            daemon.Get<QueryLogWriter>().Flush();
            Assert.IsLessThanOrEqualTo(budget, DiskBytes(path), $"after {asked} blocked queries");
        }

        List<string> names = Names(path);
        Assert.IsLessThan(asked / 2, names.Count, "5,000 rows do not fit 256 KB");
        Assert.AreEqual($"n{asked - 1}.data.mistat.xiaomi.com", names[^1], "the newest is kept");
        Assert.AreEqual($"n{asked - names.Count}.data.mistat.xiaomi.com", names[0], "the oldest went first");
    }

    private static long DiskBytes(string path) => new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);

    private static List<(string Client, long Count)> Rows(string path)
    {
        using SqliteConnection connection = Open(path);
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT client, count FROM queries ORDER BY id";
        using SqliteDataReader reader = select.ExecuteReader();
        var rows = new List<(string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }

    private static List<string> Names(string path)
    {
        using SqliteConnection connection = Open(path);
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT name FROM queries ORDER BY id";
        using SqliteDataReader reader = select.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        return connection;
    }
}
