using Microsoft.Data.Sqlite;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The query log in its SQLite file (<c>QueryLog:Path</c>): a connection per flush, the rows bound
/// through SQLite's own API (<see cref="QueryLogRowWriter"/>), the disk budget after each flush
/// (<see cref="QueryLogBudget"/>). A batch that cannot be written is dropped (and counted): a file
/// that cannot be written now will not be writable in a second either.
/// </summary>
internal sealed class SqliteQueryLogStore(QueryLogOptions options, string instance) : IQueryLogStore
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = options.Path, Pooling = false }.ToString();

    public string Describe => options.Path;

    public bool KeepsFailedBatches => false;

    public int Write(Span<QueryLogPendingRow> rows)
    {
        using SqliteConnection connection = QueryLogDatabase.Open(options.Path, _connectionString);
        QueryLogBudget.ConfigureWal(connection, options.MaxBytes);
        using (SqliteTransaction transaction = connection.BeginTransaction())
        {
            using var writer = new QueryLogRowWriter(connection);
            foreach (ref QueryLogPendingRow row in rows)
            {
                row.Id = row.ExistingId != 0 && writer.Add(row.ExistingId, row.Count) ? row.ExistingId : writer.Insert(row, instance);
            }

            transaction.Commit();
        }

        return QueryLogBudget.Enforce(connection, options.Path, options.MaxBytes);
    }

    public int DeleteBefore(long cutoffUnixMs) => Change(connection =>
    {
        using SqliteCommand delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM queries WHERE time < $cutoff";
        delete.Parameters.AddWithValue("$cutoff", cutoffUnixMs);
        return delete.ExecuteNonQuery();
    });

    public int MaskClients(Func<string, string> show, string tokenPrefix) => Change(connection =>
    {
        connection.CreateFunction("anonymize", show, isDeterministic: true);
        using SqliteCommand update = connection.CreateCommand();
        // The old text overwritten on disk, not only unlinked from the table.
        update.CommandText = $"PRAGMA secure_delete = ON; UPDATE queries SET client = anonymize(client) WHERE client NOT LIKE '{tokenPrefix}%'";
        int rows = update.ExecuteNonQuery();
        update.CommandText = $"UPDATE queries SET forwarder = anonymize(forwarder) WHERE forwarder IS NOT NULL AND forwarder NOT LIKE '{tokenPrefix}%'";
        update.ExecuteNonQuery();
        return rows;
    });

    /// <summary>One change to the rows already written: none before the file exists.</summary>
    private int Change(Func<SqliteConnection, int> change)
    {
        if (!File.Exists(options.Path))
        {
            return 0;
        }

        using SqliteConnection connection = QueryLogDatabase.Open(options.Path, _connectionString);
        return change(connection);
    }
}
