using Microsoft.Data.Sqlite;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// Keeps the query log within <c>QueryLog:MaxBytes</c> on disk (the database and its write-ahead
/// log). The log may take an eighth of the budget (4 MB at most): SQLite checkpoints it at that
/// size and truncates it back, and the writer truncates it after a flush that left it larger.
/// When the pages in use pass 90 % of the rest, the oldest rows are deleted down to 75 % (by id,
/// the order they were written; a few rounds, as freed rows free whole pages only), and a file
/// larger than its share hands the free pages back. The file therefore stays within the budget,
/// give or take one flush's rows, and between the two marks it reuses its free pages instead of
/// growing or shrinking.
/// </summary>
internal static class QueryLogBudget
{
    private const double HighMark = 0.9;
    private const double LowMark = 0.75;
    private const int Rounds = 4;

    /// <summary>The write-ahead log's share of <paramref name="maxBytes"/>.</summary>
    public static long WalAllowance(long maxBytes) => Math.Clamp(maxBytes / 8, 64L << 10, 4L << 20);

    /// <summary>Bytes the database and its write-ahead log take on disk now.</summary>
    public static long DiskBytes(string path) => Length(path) + Length(path + "-wal");

    /// <summary>Sets the connection's checkpoint size and log size limit to the log's share of the budget.</summary>
    public static void ConfigureWal(SqliteConnection connection, long maxBytes)
    {
        long wal = WalAllowance(maxBytes);
        using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA journal_size_limit = {wal}; PRAGMA wal_autocheckpoint = {Math.Max(16, wal / 4096)};";
        pragma.ExecuteNonQuery();
    }

    /// <summary>Deletes the oldest rows while the database is over its share of the budget; returns how many.</summary>
    public static int Enforce(SqliteConnection connection, string path, long maxBytes)
    {
        long budget = maxBytes - WalAllowance(maxBytes);
        int deleted = 0;
        for (int round = 0; round < Rounds; round++)
        {
            (long pageSize, long pages, long free) = Pages(connection);
            long used = (pages - free) * pageSize;
            if (used <= budget * HighMark)
            {
                break;
            }

            using SqliteCommand span = connection.CreateCommand();
            span.CommandText = "SELECT min(id), max(id) FROM queries";
            using SqliteDataReader reader = span.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                break;
            }

            long first = reader.GetInt64(0);
            long rows = reader.GetInt64(1) - first + 1;
            reader.Close();
            double share = (used - (budget * LowMark)) / used;
            long oldest = Math.Max(1, (long)Math.Ceiling(rows * share * (round + 1)));
            using SqliteCommand delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM queries WHERE id < $end";
            delete.Parameters.AddWithValue("$end", first + oldest);
            deleted += delete.ExecuteNonQuery();
        }

        (long size, long count, long freePages) = Pages(connection);
        if (deleted > 0 && count * size > budget && freePages > 0 && AutoVacuum(connection) == 2)
        {
            Execute(connection, "PRAGMA incremental_vacuum");
        }

        if (Length(path + "-wal") > WalAllowance(maxBytes))
        {
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        return deleted;
    }

    private static (long PageSize, long Pages, long Free) Pages(SqliteConnection connection)
    {
        using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "SELECT page_size, page_count, freelist_count FROM pragma_page_size, pragma_page_count, pragma_freelist_count";
        using SqliteDataReader reader = pragma.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static long AutoVacuum(SqliteConnection connection)
    {
        using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA auto_vacuum";
        return (long)pragma.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
