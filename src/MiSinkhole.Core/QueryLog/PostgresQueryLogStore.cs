using System.Globalization;
using MiSinkhole.Core.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The query log in a PostgreSQL database that several instances share (<c>QueryLog:Provider</c>
/// <c>Postgres</c>). The table <c>queries</c> is partitioned by day (UTC) on its time, so
/// retention and the disk budget drop whole days (disk given back at once, no vacuum debt) and
/// delete rows only in the oldest day left. A flush is one transaction: the counts added to rows
/// of the same minute (one <c>UPDATE … FROM unnest</c>), ids for the new rows from the shared
/// sequence, and the rows in one binary <c>COPY</c>. Every row carries its instance. A batch that
/// cannot be written is kept and tried again (the writer's back-off): a database comes back.
/// </summary>
internal sealed class PostgresQueryLogStore : IQueryLogStore
{
    private const long DayMs = 86_400_000;
    private static readonly TimeSpan BudgetCheck = TimeSpan.FromSeconds(30);

    /// <summary>Schema steps, version 1 first. Never edit one that shipped: add the next.</summary>
    private static readonly string[] Steps =
    [
        """
        CREATE SEQUENCE queries_id_seq;
        CREATE TABLE queries (
          id bigint NOT NULL, time bigint NOT NULL, instance text NOT NULL, device text NOT NULL, client text NOT NULL,
          name text NOT NULL, type text NOT NULL, outcome text NOT NULL, action text, list text, rule text,
          rcode integer, latency_ms double precision, count integer NOT NULL DEFAULT 1, forwarder text,
          PRIMARY KEY (id, time)) PARTITION BY RANGE (time);
        CREATE INDEX queries_time ON queries (time);
        CREATE INDEX queries_device_time ON queries (device, time);
        """,
    ];

    private readonly QueryLogOptions _options;
    private readonly string _instance;
    private readonly NpgsqlDataSource _source;
    private readonly TimeProvider _time;
    private readonly HashSet<long> _days = [];
    private readonly List<long> _existingIds = [];
    private readonly List<int> _existingCounts = [];
    private bool _migrated;
    private DateTimeOffset _budgetCheckedAt = DateTimeOffset.MinValue;

    public PostgresQueryLogStore(QueryLogOptions options, string instance, PostgresDatabases databases, TimeProvider time)
    {
        _options = options;
        _instance = instance;
        _time = time;
        _source = databases.Get(options.ConnectionString ?? throw new ArgumentException("QueryLog:ConnectionString is not set", nameof(options)));
        Describe = PostgresConnection.Describe(options.ConnectionString);
    }

    public string Describe { get; }

    public bool KeepsFailedBatches => true;

    public int Write(Span<QueryLogPendingRow> rows)
    {
        try
        {
            return WriteOnce(rows);
        }
        catch
        {
            // The database may have been recreated, or a day dropped by another instance: check again next time.
            _migrated = false;
            _days.Clear();
            throw;
        }
    }

    private int WriteOnce(Span<QueryLogPendingRow> rows)
    {
        using NpgsqlConnection connection = _source.OpenConnection();
        Prepare(connection, rows);
        using (NpgsqlTransaction transaction = connection.BeginTransaction())
        {
            HashSet<long> added = AddCounts(connection, rows);
            int fresh = 0;
            foreach (ref QueryLogPendingRow row in rows)
            {
                row.Id = row.ExistingId != 0 && added.Contains(row.ExistingId) ? row.ExistingId : 0;
                fresh += row.Id == 0 ? 1 : 0;
            }

            if (fresh > 0)
            {
                Insert(connection, rows, fresh);
            }

            transaction.Commit();
        }

        // Written: from here a failure must not make the writer try the batch again (its rows would be there twice).
        try
        {
            return EnforceBudget(connection);
        }
        catch (Exception e) when (PostgresConnection.IsFailure(e))
        {
            return 0; // the next check, in 30 s, tries again
        }
    }

    public int DeleteBefore(long cutoffUnixMs)
    {
        using NpgsqlConnection connection = _source.OpenConnection();
        Prepare(connection, []);
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        PostgresSchema.Execute(connection, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})");
        int deleted = 0;
        foreach ((string partition, long day) in Partitions(connection))
        {
            if ((day + 1) * DayMs <= cutoffUnixMs)
            {
                deleted += DropPartition(connection, partition, day);
            }
        }

        using var delete = new NpgsqlCommand("DELETE FROM queries WHERE time < @cutoff", connection);
        delete.Parameters.AddWithValue("cutoff", cutoffUnixMs);
        deleted += delete.ExecuteNonQuery();
        transaction.Commit();
        return deleted;
    }

    public int MaskClients(Func<string, string> show, string tokenPrefix)
    {
        using NpgsqlConnection connection = _source.OpenConnection();
        Prepare(connection, []);
        var addresses = new List<string>();
        // This instance's rows only: another instance masks its own with its own key.
        using (var select = new NpgsqlCommand("SELECT client FROM queries WHERE instance = @instance AND client NOT LIKE @prefix UNION SELECT forwarder FROM queries WHERE instance = @instance AND forwarder NOT LIKE @prefix", connection))
        {
            select.Parameters.AddWithValue("prefix", tokenPrefix + "%");
            select.Parameters.AddWithValue("instance", _instance);
            using NpgsqlDataReader reader = select.ExecuteReader();
            while (reader.Read())
            {
                addresses.Add(reader.GetString(0));
            }
        }

        if (addresses.Count == 0)
        {
            return 0;
        }

        string[] tokens = [.. addresses.Select(show)];
        using var update = new NpgsqlCommand(
            "UPDATE queries q SET client = m.token FROM unnest(@addresses, @tokens) AS m(address, token) WHERE q.instance = @instance AND q.client = m.address", connection);
        update.Parameters.AddWithValue("instance", _instance);
        update.Parameters.AddWithValue("addresses", addresses.ToArray());
        update.Parameters.AddWithValue("tokens", tokens);
        int masked = update.ExecuteNonQuery();
        update.CommandText = "UPDATE queries q SET forwarder = m.token FROM unnest(@addresses, @tokens) AS m(address, token) WHERE q.instance = @instance AND q.forwarder = m.address";
        update.ExecuteNonQuery();
        return masked;
    }

    /// <summary>The schema at the first use, and a partition for every day the rows fall on.</summary>
    private void Prepare(NpgsqlConnection connection, Span<QueryLogPendingRow> rows)
    {
        if (!_migrated)
        {
            PostgresSchema.Migrate(connection, "querylog", Steps);
            _migrated = true;
        }

        long today = _time.GetUtcNow().ToUnixTimeMilliseconds() / DayMs;
        EnsureDay(connection, today);
        foreach (ref QueryLogPendingRow row in rows)
        {
            EnsureDay(connection, row.Event.UnixMilliseconds / DayMs);
        }
    }

    private void EnsureDay(NpgsqlConnection connection, long day)
    {
        if (_days.Contains(day))
        {
            return;
        }

        using (NpgsqlTransaction transaction = connection.BeginTransaction())
        {
            PostgresSchema.Execute(connection, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})");
            PostgresSchema.Execute(connection,
                $"CREATE TABLE IF NOT EXISTS {PartitionName(day)} PARTITION OF queries FOR VALUES FROM ({day * DayMs}) TO ({(day + 1) * DayMs})");
            transaction.Commit();
        }

        _days.Add(day);
    }

    /// <summary>More to the count of rows written before, in their minute; the ids still there.</summary>
    private HashSet<long> AddCounts(NpgsqlConnection connection, Span<QueryLogPendingRow> rows)
    {
        _existingIds.Clear();
        _existingCounts.Clear();
        long since = long.MaxValue;
        foreach (ref QueryLogPendingRow row in rows)
        {
            if (row.ExistingId != 0)
            {
                _existingIds.Add(row.ExistingId);
                _existingCounts.Add(row.Count);
                since = Math.Min(since, row.Event.UnixMilliseconds);
            }
        }

        var found = new HashSet<long>();
        if (_existingIds.Count == 0)
        {
            return found;
        }

        // A row collapses only within its minute: the time bound keeps the search in the last partitions.
        using var update = new NpgsqlCommand(
            "UPDATE queries q SET count = q.count + v.n FROM unnest(@ids, @counts) AS v(id, n) WHERE q.id = v.id AND q.time >= @since RETURNING q.id", connection);
        update.Parameters.AddWithValue("ids", _existingIds.ToArray());
        update.Parameters.AddWithValue("counts", _existingCounts.ToArray());
        update.Parameters.AddWithValue("since", since - (2 * 60_000));
        using NpgsqlDataReader reader = update.ExecuteReader();
        while (reader.Read())
        {
            found.Add(reader.GetInt64(0));
        }

        return found;
    }

    private void Insert(NpgsqlConnection connection, Span<QueryLogPendingRow> rows, int fresh)
    {
        var ids = new long[fresh];
        using (var next = new NpgsqlCommand("SELECT nextval('queries_id_seq') FROM generate_series(1, @n)", connection))
        {
            next.Parameters.AddWithValue("n", fresh);
            using NpgsqlDataReader reader = next.ExecuteReader();
            for (int i = 0; i < fresh && reader.Read(); i++)
            {
                ids[i] = reader.GetInt64(0);
            }
        }

        using NpgsqlBinaryImporter copy = connection.BeginBinaryImport(
            "COPY queries (id, time, instance, device, client, name, type, outcome, action, list, rule, rcode, latency_ms, count, forwarder) FROM STDIN (FORMAT BINARY)");
        int at = 0;
        foreach (ref QueryLogPendingRow row in rows)
        {
            if (row.Id != 0)
            {
                continue;
            }

            row.Id = ids[at++];
            copy.StartRow();
            copy.Write(row.Id, NpgsqlDbType.Bigint);
            copy.Write(row.Event.UnixMilliseconds, NpgsqlDbType.Bigint);
            copy.Write(_instance, NpgsqlDbType.Text);
            copy.Write(row.Event.Device, NpgsqlDbType.Text);
            copy.Write(row.Client, NpgsqlDbType.Text);
            copy.Write(row.Name, NpgsqlDbType.Text);
            copy.Write(row.Type, NpgsqlDbType.Text);
            copy.Write(row.Outcome, NpgsqlDbType.Text);
            Text(copy, row.Action);
            Text(copy, row.List);
            Text(copy, row.Rule);
            if (row.ResponseCode is int rcode)
            {
                copy.Write(rcode, NpgsqlDbType.Integer);
            }
            else
            {
                copy.WriteNull();
            }

            copy.Write(row.LatencyMs, NpgsqlDbType.Double);
            copy.Write(row.Count, NpgsqlDbType.Integer);
            Text(copy, row.Forwarder);
        }

        copy.Complete();
    }

    /// <summary>
    /// At most every 30 s: while the partitions take more than <c>QueryLog:MaxBytes</c>, the
    /// oldest day is dropped (never today's); returns the rows that went.
    /// </summary>
    private int EnforceBudget(NpgsqlConnection connection)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (now - _budgetCheckedAt < BudgetCheck)
        {
            return 0;
        }

        _budgetCheckedAt = now;
        long today = now.ToUnixTimeMilliseconds() / DayMs;
        int deleted = 0;
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        PostgresSchema.Execute(connection, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})");
        foreach ((string partition, long day) in Partitions(connection))
        {
            if (day >= today || TotalBytes(connection) <= _options.MaxBytes)
            {
                break;
            }

            deleted += DropPartition(connection, partition, day);
        }

        transaction.Commit();
        return deleted;
    }

    /// <summary>Bytes the log's partitions take on disk (tables and indexes).</summary>
    internal static long TotalBytes(NpgsqlConnection connection)
    {
        using var size = new NpgsqlCommand(
            "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint FROM pg_inherits i WHERE i.inhparent = 'queries'::regclass", connection);
        return (long)size.ExecuteScalar()!;
    }

    /// <summary>The day partitions, oldest first.</summary>
    private static List<(string Name, long Day)> Partitions(NpgsqlConnection connection)
    {
        var partitions = new List<(string, long)>();
        using var select = new NpgsqlCommand("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'queries'::regclass", connection);
        using NpgsqlDataReader reader = select.ExecuteReader();
        while (reader.Read())
        {
            string name = reader.GetString(0);
            if (name.StartsWith("queries_d", StringComparison.Ordinal) && long.TryParse(name["queries_d".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long day))
            {
                partitions.Add((name, day));
            }
        }

        partitions.Sort((a, b) => a.Item2.CompareTo(b.Item2));
        return partitions;
    }

    private int DropPartition(NpgsqlConnection connection, string partition, long day)
    {
        using var count = new NpgsqlCommand($"SELECT count(*) FROM {partition}", connection);
        int rows = (int)(long)count.ExecuteScalar()!;
        PostgresSchema.Execute(connection, $"DROP TABLE IF EXISTS {partition}");
        _days.Remove(day);
        return rows;
    }

    /// <summary><c>queries_d20426</c>: the day's number since 1970 (UTC).</summary>
    private static string PartitionName(long day) => "queries_d" + day.ToString(CultureInfo.InvariantCulture);

    private static void Text(NpgsqlBinaryImporter copy, string? text)
    {
        if (text is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(text, NpgsqlDbType.Text);
        }
    }
}
