using Microsoft.Data.Sqlite;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The SQLite query log of the running daemon: what each mode keeps, and the rows' contents.</summary>
[TestClass]
public sealed class QueryLogTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string dataDirectory, Action<TestConfig>? more = null)
    {
        TestConfig config = new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .List("xiaomi-essential", "essential.txt")
            .Policy("strict", block: ["xiaomi-telemetry"], allow: ["xiaomi-essential"])
            .Policy("observe", log: ["xiaomi-telemetry"])
            .DefaultPolicy("strict")
            .Device("new-phone", "observe", "127.0.0.3")
            .Set("DataDirectory", dataDirectory);
        more?.Invoke(config);

        return RunningDaemon.StartAsync(config.Values, new Dictionary<string, string>
        {
            ["telemetry.txt"] = "||mistat.xiaomi.com^\n",
            ["essential.txt"] = "update.miui.com\n",
        });
    }

    private static async Task SendTrafficAsync(RunningDaemon daemon)
    {
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "AAAA");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "update.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "example.org", "A");
        daemon.Get<QueryLogWriter>().Flush();
    }

    private static List<string> Rows(string database, string columns)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = $"SELECT {columns} FROM queries ORDER BY id";
        using SqliteDataReader reader = select.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "-" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    [TestMethod]
    public async Task PolicyMatches_KeepsBlockedLoggedAndAllowedQueries_WithDeviceListAndRule()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        await SendTrafficAsync(daemon);

        CollectionAssert.AreEqual(
            new[]
            {
                "unknown | 127.0.0.2 | data.mistat.xiaomi.com | A | blocked | blocked | xiaomi-telemetry | mistat.xiaomi.com | 0",
                "new-phone | 127.0.0.3 | data.mistat.xiaomi.com | AAAA | forwarded | logged | xiaomi-telemetry | mistat.xiaomi.com | 0",
                "unknown | 127.0.0.2 | update.miui.com | A | forwarded | allowed | xiaomi-essential | update.miui.com | 0",
            },
            Rows(Path.Combine(data.Path, "querylog.db"), "device, client, name, type, outcome, action, list, rule, rcode"));
        List<string> times = Rows(Path.Combine(data.Path, "querylog.db"), "time, latency_ms");
        Assert.IsTrue(times.All(t => long.Parse(t.Split(" | ")[0], System.Globalization.CultureInfo.InvariantCulture) >= before), string.Join("\n", times));
        Assert.AreEqual(3, daemon.Get<QueryLogWriter>().Written);
    }

    [TestMethod]
    public async Task All_KeepsEveryAnsweredQuery_AndAnonymizedClientsAreStableTokens()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path, config => config.Set("QueryLog:Record", "All").Set("QueryLog:AnonymizeClients", "true"));

        await SendTrafficAsync(daemon);
        List<string> rows = Rows(Path.Combine(data.Path, "querylog.db"), "client, name, outcome");

        CollectionAssert.AreEqual(new[] { "blocked", "forwarded", "forwarded", "forwarded", "cached" }, rows.Select(r => r.Split(" | ")[2]).ToArray());
        string[] clients = [.. rows.Select(r => r.Split(" | ")[0])];
        Assert.IsTrue(clients.All(c => c.StartsWith("anon-", StringComparison.Ordinal) && c.Length == 21), string.Join(", ", clients));
        Assert.AreEqual(clients[0], clients[2], "the same client gets the same token");
        Assert.AreNotEqual(clients[0], clients[1]);
        Assert.IsFalse(rows.Any(r => r.Contains("127.0.0.", StringComparison.Ordinal)), "no address is stored");
        Assert.IsTrue(File.Exists(Path.Combine(data.Path, "querylog.db.key")));
    }

    [TestMethod]
    public async Task None_WritesNoDatabase()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path, config => config.Set("QueryLog:Record", "None"));

        await SendTrafficAsync(daemon);

        Assert.IsFalse(File.Exists(Path.Combine(data.Path, "querylog.db")));
        Assert.AreEqual(0, daemon.Get<QueryLogWriter>().Written);
    }

    [TestMethod]
    public async Task GracefulStop_WritesWhatIsStillQueued()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using (RunningDaemon daemon = await StartAsync(upstream, data.Path, config => config.Set("QueryLog:FlushInterval", "1h")))
        {
            await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
            await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
            Assert.AreEqual(0, daemon.Get<QueryLogWriter>().Written, "nothing written yet: the next flush is an hour away");
        }

        Assert.HasCount(2, Rows(Path.Combine(data.Path, "querylog.db"), "name"));
    }
}
