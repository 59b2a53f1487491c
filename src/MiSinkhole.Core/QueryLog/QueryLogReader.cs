using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Postgres;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// Reads the query log for the API: filtered pages newest first, and totals since a time (a
/// collapsed row counts as the queries it stands for). The same SQL for both stores, through
/// ADO.NET's base classes: the SQLite file opened read-only per call (WAL lets it read while the
/// writer writes; an absent file reads as empty), or the PostgreSQL database every instance writes,
/// so any instance shows the whole network's log, each row with its instance. A database that
/// cannot be reached throws <see cref="QueryLogUnavailableException"/> (the API's 503).
/// </summary>
public sealed class QueryLogReader
{
    private const int TopNames = 10;
    private readonly string _path;
    private readonly Npgsql.NpgsqlDataSource? _postgres;

    public QueryLogReader(SinkholeOptions options, PostgresDatabases? databases = null)
    {
        _path = options.QueryLog.Path;
        if (options.QueryLog.Provider == QueryLogProvider.Postgres)
        {
            _postgres = (databases ?? throw new ArgumentNullException(nameof(databases))).Get(options.QueryLog.ConnectionString!);
        }
    }

    public IReadOnlyList<QueryLogRow> Read(QueryLogFilter filter)
    {
        using DbConnection? connection = Open();
        if (connection is null)
        {
            return [];
        }

        using DbCommand select = connection.CreateCommand();
        var where = new List<string>();
        if (filter.Device is not null)
        {
            where.Add("device = @device");
            Parameter(select, "device", filter.Device);
        }

        if (filter.Action is not null)
        {
            where.Add(filter.Action == "none" ? "action IS NULL" : "action = @action");
            Parameter(select, "action", filter.Action);
        }

        if (filter.Name is not null)
        {
            where.Add("(name = @name OR name LIKE @suffix ESCAPE '\\')");
            Parameter(select, "name", filter.Name);
            Parameter(select, "suffix", "%." + filter.Name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal));
        }

        if (filter.Since is { } since)
        {
            where.Add("time >= @since");
            Parameter(select, "since", since.ToUnixTimeMilliseconds());
        }

        if (filter.Cursor is { } cursor)
        {
            where.Add("id < @cursor");
            Parameter(select, "cursor", cursor);
        }

        if (filter.After is { } after)
        {
            where.Add("id > @after");
            Parameter(select, "after", after);
        }

        if (filter.Instance is not null)
        {
            where.Add("instance = @instance");
            Parameter(select, "instance", filter.Instance);
        }

        string forwarder = HasColumn(connection, "forwarder") ? "forwarder" : "NULL";
        string instance = HasColumn(connection, "instance") ? "instance" : "NULL";
        select.CommandText = $"SELECT id, time, device, client, name, type, outcome, action, list, rule, rcode, latency_ms, CAST(count AS BIGINT), {forwarder}, {instance} FROM queries"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT @limit";
        Parameter(select, "limit", filter.Limit);
        var rows = new List<QueryLogRow>();
        using DbDataReader reader = Execute(select);
        while (reader.Read())
        {
            rows.Add(new QueryLogRow(
                reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), Text(reader, 7), Text(reader, 8), Text(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetInt32(10), reader.IsDBNull(11) ? 0 : reader.GetDouble(11), reader.GetInt64(12), Text(reader, 13), Text(reader, 14)));
        }

        return rows;
    }

    public QueryLogStats Stats(DateTimeOffset since)
    {
        using DbConnection? connection = Open();
        if (connection is null)
        {
            return new QueryLogStats(since, 0, new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>(),
                new Dictionary<string, IReadOnlyList<NameCount>>(), new Dictionary<string, IReadOnlyList<NameCount>>());
        }

        long from = since.ToUnixTimeMilliseconds();
        Dictionary<string, long> byOutcome = Grouped(connection, "outcome", from);
        return new QueryLogStats(
            since,
            byOutcome.Values.Sum(),
            byOutcome,
            Grouped(connection, "device", from),
            Grouped(connection, "list", from),
            Top(connection, "blocked", from),
            Top(connection, "logged", from))
        {
            PerDevice = PerDevice(connection, from),
        };
    }

    /// <summary>
    /// The log from <paramref name="since"/> to <paramref name="until"/> in steps of
    /// <paramref name="step"/> (at most <see cref="MaxBuckets"/>), for one device or all.
    /// </summary>
    public QueryTimeline Timeline(DateTimeOffset since, DateTimeOffset until, TimeSpan step, string? device)
    {
        long stepMs = (long)step.TotalMilliseconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(stepMs, 1000, nameof(step));
        long from = since.ToUnixTimeMilliseconds();
        int count = (int)Math.Clamp((until.ToUnixTimeMilliseconds() - from + stepMs - 1) / stepMs, 1, MaxBuckets);
        var buckets = new long[count, 4];
        using DbConnection? connection = Open();
        if (connection is not null)
        {
            using DbCommand select = connection.CreateCommand();
            select.CommandText = $"""
                SELECT (time - @from) / @step, sum(count),
                  sum(CASE WHEN action = 'blocked' THEN count ELSE 0 END),
                  sum(CASE WHEN action = 'logged' THEN count ELSE 0 END),
                  sum(CASE WHEN list = '{BypassCategory}' AND action IN ('blocked', 'logged') THEN count ELSE 0 END)
                FROM queries WHERE time >= @from AND time < @until{(device is null ? "" : " AND device = @device")} GROUP BY 1
                """;
            Parameter(select, "from", from);
            Parameter(select, "until", from + (count * stepMs));
            Parameter(select, "step", stepMs);
            if (device is not null)
            {
                Parameter(select, "device", device);
            }

            using DbDataReader reader = Execute(select);
            while (reader.Read())
            {
                long index = reader.GetInt64(0);
                for (int c = 0; c < 4 && index >= 0 && index < count; c++)
                {
                    buckets[index, c] = reader.GetInt64(c + 1);
                }
            }
        }

        var list = new TimelineBucket[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = new TimelineBucket(since + (step * i), buckets[i, 0], buckets[i, 1], buckets[i, 2], buckets[i, 3]);
        }

        return new QueryTimeline(since, step, device, list);
    }

    /// <summary>The most steps a timeline has.</summary>
    public const int MaxBuckets = 500;

    /// <summary>The category whose names are DNS-bypass attempts (Grafana's and the alerts' too).</summary>
    public const string BypassCategory = "dns-bypass";

    private static List<DeviceStats> PerDevice(DbConnection connection, long from)
    {
        var categories = new Dictionary<string, List<CategoryStats>>();
        using (DbCommand byCategory = connection.CreateCommand())
        {
            byCategory.CommandText = """
                SELECT device, list, sum(CASE WHEN action = 'blocked' THEN count ELSE 0 END), sum(CASE WHEN action = 'logged' THEN count ELSE 0 END)
                FROM queries WHERE time >= @from AND list IS NOT NULL AND action IN ('blocked', 'logged')
                GROUP BY device, list ORDER BY device, sum(count) DESC, list
                """;
            Parameter(byCategory, "from", from);
            using DbDataReader reader = Execute(byCategory);
            while (reader.Read())
            {
                string device = reader.GetString(0);
                if (!categories.TryGetValue(device, out List<CategoryStats>? list))
                {
                    categories[device] = list = [];
                }

                list.Add(new CategoryStats(reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        using DbCommand totals = connection.CreateCommand();
        totals.CommandText = $"""
            SELECT device, sum(count), sum(CASE WHEN action = 'blocked' THEN count ELSE 0 END), sum(CASE WHEN action = 'logged' THEN count ELSE 0 END),
              sum(CASE WHEN list = '{BypassCategory}' AND action IN ('blocked', 'logged') THEN count ELSE 0 END)
            FROM queries WHERE time >= @from GROUP BY device ORDER BY 2 DESC, device
            """;
        Parameter(totals, "from", from);
        using DbDataReader rows = Execute(totals);
        var devices = new List<DeviceStats>();
        while (rows.Read())
        {
            string device = rows.GetString(0);
            devices.Add(new DeviceStats(device, rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(4), categories.GetValueOrDefault(device) ?? []));
        }

        return devices;
    }

    /// <summary>A connection to read with; null while there is no log yet (no SQLite file).</summary>
    private DbConnection? Open()
    {
        if (_postgres is not null)
        {
            try
            {
                return _postgres.OpenConnection();
            }
            catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
            {
                throw new QueryLogUnavailableException($"the query log's database cannot be reached: {e.Message}", e);
            }
        }

        if (!File.Exists(_path))
        {
            return null;
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Whether the table has a column (a SQLite file no writer of this version has opened may lack one; the PostgreSQL schema has them all).</summary>
    private static bool HasColumn(DbConnection connection, string column) =>
        connection is not SqliteConnection sqlite || QueryLogDatabase.HasColumn(sqlite, column);

    private static DbDataReader Execute(DbCommand command)
    {
        try
        {
            return command.ExecuteReader();
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException)
        {
            throw new QueryLogUnavailableException($"the query log's database failed: {e.Message}", e);
        }
    }

    private static void Parameter(DbCommand command, string name, object value)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static Dictionary<string, long> Grouped(DbConnection connection, string column, long from)
    {
        using DbCommand select = connection.CreateCommand();
        select.CommandText = $"SELECT {column}, sum(count) FROM queries WHERE time >= @from AND {column} IS NOT NULL GROUP BY {column} ORDER BY 2 DESC";
        Parameter(select, "from", from);
        using DbDataReader reader = Execute(select);
        var counts = new Dictionary<string, long>();
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static Dictionary<string, IReadOnlyList<NameCount>> Top(DbConnection connection, string action, long from)
    {
        using DbCommand select = connection.CreateCommand();
        select.CommandText = """
            SELECT device, name, n FROM (
              SELECT device, name, sum(count) AS n, row_number() OVER (PARTITION BY device ORDER BY sum(count) DESC, name) AS rank
              FROM queries WHERE time >= @from AND action = @action GROUP BY device, name) AS ranked
            WHERE rank <= @top ORDER BY device, n DESC, name
            """;
        Parameter(select, "from", from);
        Parameter(select, "action", action);
        Parameter(select, "top", TopNames);
        using DbDataReader reader = Execute(select);
        var top = new Dictionary<string, List<NameCount>>();
        while (reader.Read())
        {
            string device = reader.GetString(0);
            if (!top.TryGetValue(device, out List<NameCount>? names))
            {
                top[device] = names = [];
            }

            names.Add(new NameCount(reader.GetString(1), reader.GetInt64(2)));
        }

        return top.ToDictionary(p => p.Key, p => (IReadOnlyList<NameCount>)p.Value);
    }

    private static string? Text(DbDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : Convert.ToString(reader.GetValue(column), CultureInfo.InvariantCulture);
}
