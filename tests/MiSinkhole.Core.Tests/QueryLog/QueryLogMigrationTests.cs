using Microsoft.Data.Sqlite;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.QueryLog;

/// <summary>A query-log file written by an older version: read as it is, then given the new columns without losing a row.</summary>
[TestClass]
public sealed class QueryLogMigrationTests
{
    private const string BeforeForwarders = """
        CREATE TABLE queries (
          id INTEGER PRIMARY KEY, time INTEGER NOT NULL, device TEXT NOT NULL, client TEXT NOT NULL,
          name TEXT NOT NULL, type TEXT NOT NULL, outcome TEXT NOT NULL, action TEXT, list TEXT, rule TEXT,
          rcode INTEGER, latency_ms REAL, count INTEGER NOT NULL DEFAULT 1);
        INSERT INTO queries (time, device, client, name, type, outcome, action, list, rule, rcode, latency_ms, count)
          VALUES (1764720000000, 'phone', '192.168.1.23', 'tracking.miui.com', 'A', 'blocked', 'blocked', 'xiaomi', 'tracking.miui.com', 0, 0.1, 3);
        """;

    [TestMethod]
    public void FileFromBeforeForwarders_IsRead_ThenGetsTheColumn_AndKeepsItsRows()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "querylog.db");
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using SqliteCommand create = old.CreateCommand();
            create.CommandText = BeforeForwarders;
            create.ExecuteNonQuery();
        }

        SinkholeOptions options = new TestConfig().Set("QueryLog:Path", path).Read(dir.Path);
        QueryLogRow before = new QueryLogReader(options).Read(new QueryLogFilter()).Single();
        Assert.AreEqual(("phone", "192.168.1.23", 3L, (string?)null), (before.Device, before.Client, before.Count, before.Forwarder), "read without the column");

        using (SqliteConnection opened = QueryLogDatabase.Open(path))
        {
            Assert.IsTrue(QueryLogDatabase.HasColumn(opened, "forwarder"));
        }

        QueryLogRow after = new QueryLogReader(options).Read(new QueryLogFilter()).Single();
        Assert.AreEqual(before, after, "the row as it was, its forwarder null: it asked directly");
    }
}
