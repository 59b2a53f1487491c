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
              rcode INTEGER, latency_ms REAL, count INTEGER NOT NULL DEFAULT 1, forwarder TEXT);
            CREATE INDEX IF NOT EXISTS queries_time ON queries (time);
            CREATE INDEX IF NOT EXISTS queries_device_time ON queries (device, time);
            """;
        setup.ExecuteNonQuery();
        // Files from before a column was added get it: every row they hold is 1 query, asked directly.
        AddColumn(connection, "count", "INTEGER NOT NULL DEFAULT 1");
        AddColumn(connection, "forwarder", "TEXT");
        AddColumn(connection, "instance", "TEXT");
        return connection;
    }

    /// <summary>Whether the file's <c>queries</c> table has <paramref name="column"/> (a reader of a file no writer has opened since an upgrade).</summary>
    public static bool HasColumn(SqliteConnection connection, string column)
    {
        using SqliteCommand info = connection.CreateCommand();
        info.CommandText = "SELECT count(*) FROM pragma_table_info('queries') WHERE name = $name";
        info.Parameters.AddWithValue("$name", column);
        return (long)info.ExecuteScalar()! != 0;
    }

    private static void AddColumn(SqliteConnection connection, string column, string definition)
    {
        if (!HasColumn(connection, column))
        {
            using SqliteCommand alter = connection.CreateCommand();
            alter.CommandText = $"ALTER TABLE queries ADD COLUMN {column} {definition}";
            alter.ExecuteNonQuery();
        }
    }
}
