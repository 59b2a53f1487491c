using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Core.Inventory;

/// <summary>
/// Keeps the device inventory across restarts in SQLite (<c>DataDirectory/inventory.db</c>, WAL):
/// loads it before the DNS listeners start, writes the clients that changed every
/// <see cref="SaveInterval"/> on this background thread, and once more at shutdown. A database
/// that cannot be read is moved aside with its WAL (kept, not deleted) and the inventory starts
/// empty; where no database can be used at all (a read-only folder) it lives in memory only.
/// Clients the inventory forgets (it keeps its cap itself, at insertion) are deleted from the
/// file here too: a save after any was forgotten keeps only the rows of the clients it still has.
/// </summary>
public sealed partial class InventoryStore : BackgroundService
{
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(30);

    private readonly DeviceInventory _inventory;
    private readonly TimeProvider _time;
    private readonly ILogger<InventoryStore> _logger;
    private readonly string _connectionString;
    private readonly bool _secureDelete;
    private long _forgottenSaved = -1; // the first save also drops rows beyond the cap an older file held

    public InventoryStore(DeviceInventory inventory, SinkholeOptions options, TimeProvider time, ILogger<InventoryStore> logger)
    {
        _inventory = inventory;
        _time = time;
        _logger = logger;
        Path = System.IO.Path.Combine(options.DataDirectory, "inventory.db");
        _secureDelete = options.QueryLog.AnonymizeClients;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString();
    }

    public string Path { get; }

    /// <summary>False when the database could not be opened at all: the inventory then lives in memory only.</summary>
    public bool IsPersistent { get; private set; } = true;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Load();
            Save(); // what restoring changed: rows stored in clear before QueryLog:AnonymizeClients was on, now masked
        }
        catch (Exception e) when (IsStorageProblem(e))
        {
            string aside = $"{Path}.unreadable-{_time.GetUtcNow():yyyyMMddHHmmss}";
            LogUnreadable(e, Path, aside);
            try
            {
                SqliteConnection.ClearAllPools();
                foreach (string suffix in (string[])["", "-wal", "-shm"])
                {
                    if (File.Exists(Path + suffix))
                    {
                        File.Move(Path + suffix, aside + suffix); // the WAL belongs to its database
                    }
                }

                Load();
            }
            catch (Exception again) when (IsStorageProblem(again))
            {
                IsPersistent = false;
                LogMemoryOnly(again, Path);
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Save();
        }
        catch (Exception e) when (IsStorageProblem(e))
        {
            LogSaveFailed(e, Path);
        }
    }

    /// <summary>
    /// Writes every client that changed since the last save and, when the inventory forgot any
    /// since, deletes the rows of clients it no longer has; returns how many were written. A
    /// failed write leaves them to the next save.
    /// </summary>
    public int Save()
    {
        if (!IsPersistent)
        {
            return 0;
        }

        long forgotten = _inventory.Forgotten; // read before the keys: a client forgotten after it is dropped at the next save
        IReadOnlyList<InventoryRecord> changed = _inventory.TakeChanged();
        IReadOnlyList<string>? keep = forgotten != _forgottenSaved ? _inventory.ClientKeys() : null;
        if (changed.Count == 0 && keep is null)
        {
            return 0;
        }

        try
        {
            Write(changed, keep);
            _forgottenSaved = forgotten;
        }
        catch
        {
            _inventory.MarkChanged(changed);
            throw;
        }

        return changed.Count;
    }

    private void Write(IReadOnlyList<InventoryRecord> changed, IReadOnlyList<string>? keep)
    {
        using SqliteConnection connection = Open();
        using SqliteTransaction transaction = connection.BeginTransaction();
        using SqliteCommand upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO clients (key, device, address, mac, host_name, first_seen, last_seen, queries, categories, xiaomi_since, matches, auto_policy, auto_policy_applied, unclassified, rate_limited)
            VALUES ($key, $device, $address, $mac, $host, $first, $last, $queries, $categories, $xiaomi, $matches, $auto, $applied, $unclassified, $limited)
            ON CONFLICT (key) DO UPDATE SET device = excluded.device, address = excluded.address, mac = excluded.mac,
              host_name = excluded.host_name, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
              queries = excluded.queries, categories = excluded.categories, xiaomi_since = excluded.xiaomi_since,
              matches = excluded.matches, auto_policy = excluded.auto_policy, auto_policy_applied = excluded.auto_policy_applied,
              unclassified = excluded.unclassified, rate_limited = excluded.rate_limited
            """;
        foreach (InventoryRecord record in changed)
        {
            upsert.Parameters.Clear();
            upsert.Parameters.AddWithValue("$key", Key(record));
            upsert.Parameters.AddWithValue("$device", (object?)record.Device ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$address", (object?)record.Address ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$mac", (object?)record.Mac ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$host", (object?)record.HostName ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$first", Date(record.FirstSeen));
            upsert.Parameters.AddWithValue("$last", Date(record.LastSeen));
            upsert.Parameters.AddWithValue("$queries", record.Queries);
            upsert.Parameters.AddWithValue("$categories", JsonSerializer.Serialize(record.Categories.ToDictionary(), CoreJsonContext.Default.DictionaryStringCategoryCounts));
            upsert.Parameters.AddWithValue("$xiaomi", record.XiaomiSince is { } since ? Date(since) : DBNull.Value);
            upsert.Parameters.AddWithValue("$matches", JsonSerializer.Serialize(record.Matches.ToList(), CoreJsonContext.Default.ListMatchRecord));
            upsert.Parameters.AddWithValue("$auto", (object?)record.AutoPolicy ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$applied", record.AutoPolicyApplied is { } applied ? Date(applied) : DBNull.Value);
            upsert.Parameters.AddWithValue("$unclassified", record.Unclassified.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(record.Unclassified.ToList(), CoreJsonContext.Default.ListUnclassifiedName));
            upsert.Parameters.AddWithValue("$limited", record.RateLimited);
            upsert.ExecuteNonQuery();
        }

        if (keep is not null)
        {
            DeleteAllBut(connection, keep);
        }

        transaction.Commit();
    }

    /// <summary>Deletes the rows of clients that are no device and not in <paramref name="keep"/> (at most <see cref="DeviceInventory.MaxClients"/> keys).</summary>
    private static void DeleteAllBut(SqliteConnection connection, IReadOnlyList<string> keep)
    {
        using SqliteCommand table = connection.CreateCommand();
        table.CommandText = "CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY); DELETE FROM keep;";
        table.ExecuteNonQuery();
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO keep (key) VALUES ($key)";
        SqliteParameter key = insert.Parameters.Add("$key", SqliteType.Text);
        insert.Prepare();
        foreach (string client in keep)
        {
            key.Value = client;
            insert.ExecuteNonQuery();
        }

        using SqliteCommand delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM clients WHERE device IS NULL AND key NOT IN (SELECT key FROM keep); DROP TABLE keep;";
        delete.ExecuteNonQuery();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SaveInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Save();
                }
                catch (Exception e) when (IsStorageProblem(e))
                {
                    LogSaveFailed(e, Path);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Load()
    {
        using SqliteConnection connection = Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT key, device, address, mac, host_name, first_seen, last_seen, queries, categories, xiaomi_since, matches, auto_policy, auto_policy_applied, unclassified, rate_limited FROM clients";
        var records = new List<InventoryRecord>();
        using (SqliteDataReader row = select.ExecuteReader())
        {
            while (row.Read())
            {
                records.Add(new InventoryRecord
                {
                    Key = row.IsDBNull(1) ? row.GetString(0) : row.GetString(1),
                    Device = row.IsDBNull(1) ? null : row.GetString(1),
                    Address = row.IsDBNull(2) ? null : row.GetString(2),
                    Mac = row.IsDBNull(3) ? null : row.GetString(3),
                    HostName = row.IsDBNull(4) ? null : row.GetString(4),
                    FirstSeen = Date(row.GetString(5)),
                    LastSeen = Date(row.GetString(6)),
                    Queries = row.GetInt64(7),
                    Categories = JsonSerializer.Deserialize(row.GetString(8), CoreJsonContext.Default.DictionaryStringCategoryCounts) ?? [],
                    XiaomiSince = row.IsDBNull(9) ? null : Date(row.GetString(9)),
                    Matches = JsonSerializer.Deserialize(row.GetString(10), CoreJsonContext.Default.ListMatchRecord) ?? [],
                    AutoPolicy = row.IsDBNull(11) ? null : row.GetString(11),
                    AutoPolicyApplied = row.IsDBNull(12) ? null : Date(row.GetString(12)),
                    Unclassified = row.IsDBNull(13) ? [] : JsonSerializer.Deserialize(row.GetString(13), CoreJsonContext.Default.ListUnclassifiedName) ?? [],
                    RateLimited = row.IsDBNull(14) ? 0 : row.GetInt64(14),
                });
            }
        }

        _inventory.Restore(records);
        LogLoaded(records.Count, Path);
    }

    private SqliteConnection Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using SqliteCommand setup = connection.CreateCommand();
        setup.CommandText = $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA secure_delete = {(_secureDelete ? "ON" : "OFF")}; -- anonymised: what a client's old row held is overwritten, not left in free pages
            CREATE TABLE IF NOT EXISTS clients (
              key TEXT PRIMARY KEY, device TEXT, address TEXT, mac TEXT, host_name TEXT,
              first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, queries INTEGER NOT NULL,
              categories TEXT NOT NULL, xiaomi_since TEXT, matches TEXT NOT NULL,
              auto_policy TEXT, auto_policy_applied TEXT, unclassified TEXT, rate_limited INTEGER);
            """;
        setup.ExecuteNonQuery();
        AddMissingColumns(connection);
        return connection;
    }

    /// <summary>
    /// Files written before a column existed (the unclassified names and the rate-limit count came later) get it, empty:
    /// an old inventory loads as it was, and is written in the new shape from then on.
    /// </summary>
    private static void AddMissingColumns(SqliteConnection connection)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (SqliteCommand info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info('clients')";
            using SqliteDataReader reader = info.ExecuteReader();
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        foreach ((string column, string type) in new[] { ("unclassified", "TEXT"), ("rate_limited", "INTEGER") })
        {
            if (!columns.Contains(column))
            {
                using SqliteCommand alter = connection.CreateCommand();
                alter.CommandText = $"ALTER TABLE clients ADD COLUMN {column} {type}";
                alter.ExecuteNonQuery();
            }
        }
    }

    private static bool IsStorageProblem(Exception e) =>
        e is SqliteException or IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException;

    /// <summary>Devices and other clients never share a key: a device is stored under "device:NAME".</summary>
    private static string Key(InventoryRecord record) => record.Device is null ? record.Key : "device:" + record.Device;

    private static string Date(DateTimeOffset date) => date.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Date(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [LoggerMessage(EventId = LogEventIds.Inventory + 1, Level = LogLevel.Information, Message = "Device inventory: {Count} clients loaded from {Path}")]
    private partial void LogLoaded(int count, string path);

    [LoggerMessage(EventId = LogEventIds.Inventory + 2, Level = LogLevel.Error, Message = "Device inventory {Path} cannot be read; moved it to {Aside} and starting empty")]
    private partial void LogUnreadable(Exception exception, string path, string aside);

    [LoggerMessage(EventId = LogEventIds.Inventory + 4, Level = LogLevel.Error, Message = "Device inventory {Path} cannot be used; keeping the inventory in memory only until the next start")]
    private partial void LogMemoryOnly(Exception exception, string path);

    [LoggerMessage(EventId = LogEventIds.Inventory + 3, Level = LogLevel.Warning, Message = "Device inventory could not be saved to {Path}; will retry")]
    private partial void LogSaveFailed(Exception exception, string path);
}
