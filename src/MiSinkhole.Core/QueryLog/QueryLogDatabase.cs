using Microsoft.Data.Sqlite;

namespace MiSinkhole.Core.QueryLog;

/// <summary>The query log's SQLite file: schema and connection settings (the anonymisation key beside it is <see cref="Clients.ClientAnonymizer"/>'s).</summary>
public static class QueryLogDatabase
{
    public static SqliteConnection Open(string path, string? connectionString = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(connectionString ?? new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand setup = connection.CreateCommand();
        // auto_vacuum applies to a new file only (before its first table): the disk budget can
        // then hand pages back when a file is over it (QueryLogBudget).
        setup.CommandText = """
            PRAGMA auto_vacuum = INCREMENTAL;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 2000;
            CREATE TABLE IF NOT EXISTS queries (
              id INTEGER PRIMARY KEY, time INTEGER NOT NULL, device TEXT NOT NULL, client TEXT NOT NULL,
              name TEXT NOT NULL, type TEXT NOT NULL, outcome TEXT NOT NULL, action TEXT, list TEXT, rule TEXT,
              rcode INTEGER, latency_ms REAL, count INTEGER NOT NULL DEFAULT 1);
            CREATE INDEX IF NOT EXISTS queries_time ON queries (time);
            CREATE INDEX IF NOT EXISTS queries_device_time ON queries (device, time);
            """;
        setup.ExecuteNonQuery();
        AddCountColumn(connection);
        return connection;
    }

    /// <summary>Files from before rows were collapsed get the <c>count</c> column, 1 for every row they hold.</summary>
    private static void AddCountColumn(SqliteConnection connection)
    {
        using SqliteCommand info = connection.CreateCommand();
        info.CommandText = "SELECT count(*) FROM pragma_table_info('queries') WHERE name = 'count'";
        if ((long)info.ExecuteScalar()! == 0)
        {
            using SqliteCommand alter = connection.CreateCommand();
            alter.CommandText = "ALTER TABLE queries ADD COLUMN count INTEGER NOT NULL DEFAULT 1";
            alter.ExecuteNonQuery();
        }
    }
}
