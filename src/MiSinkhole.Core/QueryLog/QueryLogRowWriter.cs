using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The two prepared statements of one flush: a new row, and more to an existing row's count.
/// Bound through SQLite's own API (SQLitePCL's <c>raw</c>, under Microsoft.Data.Sqlite's
/// connection), not <see cref="SqliteCommand"/> parameters: those cost a binder object per
/// parameter per row, which was a third of everything the daemon allocated under a flood of
/// blocked queries (dotnet-trace's allocation ticks). Text is bound from the string's chars.
/// </summary>
internal sealed class QueryLogRowWriter : IDisposable
{
    private const string InsertSql = """
        INSERT INTO queries (time, device, client, name, type, outcome, action, list, rule, rcode, latency_ms, count, forwarder, instance)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        RETURNING id
        """;

    private const string AddSql = "UPDATE queries SET count = count + ?1 WHERE id = ?2";

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _add;

    public QueryLogRowWriter(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the query log's connection is not open");
        _insert = Prepare(InsertSql);
        try
        {
            _add = Prepare(AddSql);
        }
        catch
        {
            _insert.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="row"/> as a new row of <paramref name="instance"/>; returns its id.</summary>
    public long Insert(in QueryLogPendingRow row, string instance)
    {
        try
        {
            Check(raw.sqlite3_bind_int64(_insert, 1, row.Event.UnixMilliseconds));
            BindText(_insert, 2, row.Event.Device);
            BindText(_insert, 3, row.Client);
            BindText(_insert, 4, row.Name);
            BindText(_insert, 5, row.Type);
            BindText(_insert, 6, row.Outcome);
            BindText(_insert, 7, row.Action);
            BindText(_insert, 8, row.List);
            BindText(_insert, 9, row.Rule);
            Check(row.ResponseCode is int rcode ? raw.sqlite3_bind_int(_insert, 10, rcode) : raw.sqlite3_bind_null(_insert, 10));
            Check(raw.sqlite3_bind_double(_insert, 11, row.LatencyMs));
            Check(raw.sqlite3_bind_int(_insert, 12, row.Count));
            BindText(_insert, 13, row.Forwarder);
            BindText(_insert, 14, instance);
            int step = raw.sqlite3_step(_insert);
            if (step != raw.SQLITE_ROW)
            {
                Check(step);
                throw new SqliteException("the query log's insert returned no id", raw.SQLITE_ERROR);
            }

            return raw.sqlite3_column_int64(_insert, 0);
        }
        finally
        {
            raw.sqlite3_reset(_insert);
        }
    }

    /// <summary>Adds <paramref name="count"/> queries to row <paramref name="id"/>; false when that row is gone.</summary>
    public bool Add(long id, int count)
    {
        try
        {
            Check(raw.sqlite3_bind_int(_add, 1, count));
            Check(raw.sqlite3_bind_int64(_add, 2, id));
            Check(raw.sqlite3_step(_add));
            return raw.sqlite3_changes(_db) == 1;
        }
        finally
        {
            raw.sqlite3_reset(_add);
        }
    }

    public void Dispose()
    {
        _insert.Dispose();
        _add.Dispose();
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement));
        return statement;
    }

    private void BindText(sqlite3_stmt statement, int index, string? text) =>
        Check(text is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text16(statement, index, text.AsSpan()));

    /// <summary>Turns an SQLite failure into the <see cref="SqliteException"/> the writer handles (the batch is counted as dropped, DNS goes on).</summary>
    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE)
        {
            return;
        }

        throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);
    }
}
