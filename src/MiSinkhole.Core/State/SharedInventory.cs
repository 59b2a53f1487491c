using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Postgres;
using Npgsql;

namespace MiSinkhole.Core.State;

/// <summary>
/// With <c>State:Provider</c> <c>Postgres</c>, what every instance saw of each client: each
/// instance writes the clients it saw since the last time (every 30 s, and at stop) as rows of
/// <c>inventory</c> (instance, key, the record as JSON), and the API merges the other instances'
/// rows into its own inventory (<see cref="Merge"/>; read at most every 5 s): one client seen by
/// both has its first and last sighting, its counts added up, its matches and unclassified names
/// together, and the instances that saw it. Without a shared state, or while the database is
/// away, the API shows this instance's inventory alone.
/// </summary>
public sealed partial class SharedInventory : BackgroundService
{
    private static readonly TimeSpan PushInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PullFor = TimeSpan.FromSeconds(5);

    private static readonly string[] Steps =
    [
        """
        CREATE TABLE inventory (
          instance text NOT NULL, key text NOT NULL, record text NOT NULL, saved timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (instance, key));
        """,
    ];

    private readonly NpgsqlDataSource? _source;
    private readonly string _instance;
    private readonly DeviceInventory _inventory;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedInventory> _logger;
    private readonly Lock _lock = new();
    private DateTimeOffset _pushedUpTo = DateTimeOffset.MinValue;
    private DateTimeOffset _pulledAt = DateTimeOffset.MinValue;
    private IReadOnlyList<(string Instance, InventoryRecord Record)> _others = [];
    private bool _migrated;

    public SharedInventory(SinkholeOptions options, PostgresDatabases databases, DeviceInventory inventory, TimeProvider time, ILogger<SharedInventory> logger)
    {
        _instance = options.Instance.Name;
        _inventory = inventory;
        _time = time;
        _logger = logger;
        if (options.State.Provider == StateProvider.Postgres)
        {
            _source = databases.Get(options.State.ConnectionString!);
        }
    }

    /// <summary>Writes the clients seen since the last push now (tests; the loop does it every 30 s); how many.</summary>
    public int PushNow()
    {
        if (_source is null)
        {
            return 0;
        }

        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            InventoryRecord[] seen = [.. _inventory.List().Where(r => r.LastSeen >= _pushedUpTo)];
            if (seen.Length > 0)
            {
                using NpgsqlConnection connection = Open();
                using NpgsqlTransaction transaction = connection.BeginTransaction();
                using var upsert = new NpgsqlCommand(
                    "INSERT INTO inventory (instance, key, record) SELECT @instance, k, r FROM unnest(@keys, @records) AS u(k, r) "
                    + "ON CONFLICT (instance, key) DO UPDATE SET record = excluded.record, saved = now()", connection);
                upsert.Parameters.AddWithValue("instance", _instance);
                upsert.Parameters.AddWithValue("keys", seen.Select(r => r.Key).ToArray());
                upsert.Parameters.AddWithValue("records", seen.Select(r => JsonSerializer.Serialize(r, CoreJsonContext.Default.InventoryRecord)).ToArray());
                upsert.ExecuteNonQuery();
                transaction.Commit();
            }

            _pushedUpTo = now;
            return seen.Length;
        }
    }

    /// <summary>This instance's records with what the other instances saw of the same clients (and the clients only they saw).</summary>
    public IReadOnlyList<InventoryRecord> Merge(IReadOnlyList<InventoryRecord> local)
    {
        IReadOnlyList<(string Instance, InventoryRecord Record)> others = Others();
        if (others.Count == 0)
        {
            return local;
        }

        var merged = new Dictionary<string, InventoryRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (InventoryRecord record in local)
        {
            merged[record.Key] = record with { Instances = [_instance] };
        }

        foreach ((string instance, InventoryRecord record) in others)
        {
            InventoryRecord theirs = record with { Instances = [instance] };
            merged[record.Key] = merged.TryGetValue(record.Key, out InventoryRecord? ours) ? Combine(ours, theirs) : theirs;
        }

        return [.. merged.Values.OrderByDescending(r => r.LastSeen)];
    }

    /// <summary>The unclassified names the other instances' clients asked for, for the review (<see cref="Discovery.UnclassifiedNames"/>).</summary>
    public IEnumerable<ClientUnclassified> OthersUnclassified() =>
        Others().Where(o => o.Record.Unclassified.Count > 0).Select(o => new ClientUnclassified(o.Record.Address ?? o.Record.Key, o.Record.Device, o.Record.Unclassified));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_source is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(PushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                TryPush();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        TryPush();
    }

    private void TryPush()
    {
        try
        {
            PushNow();
        }
        catch (Exception e) when (IsFailure(e))
        {
            LogPushFailed(e.Message); // the next push writes them: "since" moves only on success
        }
    }

    private IReadOnlyList<(string Instance, InventoryRecord Record)> Others()
    {
        if (_source is null)
        {
            return [];
        }

        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (now - _pulledAt < PullFor)
            {
                return _others;
            }

            _pulledAt = now;
            try
            {
                using NpgsqlConnection connection = Open();
                using var select = new NpgsqlCommand("SELECT instance, record FROM inventory WHERE instance <> @instance", connection);
                select.Parameters.AddWithValue("instance", _instance);
                using NpgsqlDataReader reader = select.ExecuteReader();
                var others = new List<(string, InventoryRecord)>();
                while (reader.Read())
                {
                    if (JsonSerializer.Deserialize(reader.GetString(1), CoreJsonContext.Default.InventoryRecord) is { } record)
                    {
                        others.Add((reader.GetString(0), record));
                    }
                }

                _others = others;
            }
            catch (Exception e) when (IsFailure(e) || e is JsonException)
            {
                LogPullFailed(e.Message);
                _others = [];
            }

            return _others;
        }
    }

    private NpgsqlConnection Open()
    {
        NpgsqlConnection connection = _source!.OpenConnection();
        if (!_migrated)
        {
            PostgresSchema.Migrate(connection, "inventory", Steps);
            _migrated = true;
        }

        return connection;
    }

    /// <summary>One client as two instances saw it.</summary>
    internal static InventoryRecord Combine(InventoryRecord a, InventoryRecord b)
    {
        InventoryRecord latest = a.LastSeen >= b.LastSeen ? a : b;
        var categories = new Dictionary<string, CategoryCounts>(a.Categories, StringComparer.OrdinalIgnoreCase);
        foreach ((string list, CategoryCounts counts) in b.Categories)
        {
            categories[list] = categories.TryGetValue(list, out CategoryCounts? mine)
                ? new CategoryCounts(mine.Blocked + counts.Blocked, mine.Logged + counts.Logged, mine.Allowed + counts.Allowed)
                : counts;
        }

        return latest with
        {
            Device = a.Device ?? b.Device,
            FirstSeen = a.FirstSeen <= b.FirstSeen ? a.FirstSeen : b.FirstSeen,
            Queries = a.Queries + b.Queries,
            RateLimited = a.RateLimited + b.RateLimited,
            Categories = categories,
            Matches = [.. a.Matches.Concat(b.Matches).GroupBy(m => (m.Name, m.List, m.Rule, m.Action))
                .Select(g => g.First() with { Count = g.Sum(m => m.Count), LastSeen = g.Max(m => m.LastSeen) })
                .OrderByDescending(m => m.Count)],
            XiaomiSince = a.XiaomiSince is { } x && b.XiaomiSince is { } y ? (x <= y ? x : y) : a.XiaomiSince ?? b.XiaomiSince,
            Unclassified = [.. a.Unclassified.Concat(b.Unclassified).GroupBy(u => (u.Name, u.List))
                .Select(g => new UnclassifiedName(g.Key.Name, g.Key.List, g.Sum(u => u.Count), g.Min(u => u.FirstSeen), g.Max(u => u.LastSeen)))
                .OrderByDescending(u => u.LastSeen)],
            AutoPolicy = a.AutoPolicy ?? b.AutoPolicy,
            AutoPolicyApplied = a.AutoPolicyApplied ?? b.AutoPolicyApplied,
            Instances = [.. a.Instances.Concat(b.Instances).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
        };
    }

    private static bool IsFailure(Exception e) => PostgresConnection.IsFailure(e);

    [LoggerMessage(EventId = LogEventIds.State + 30, Level = LogLevel.Warning, Message = "Shared inventory: cannot write the clients seen here ({Problem}); the next push tries again")]
    private partial void LogPushFailed(string problem);

    [LoggerMessage(EventId = LogEventIds.State + 31, Level = LogLevel.Warning, Message = "Shared inventory: cannot read the other instances' clients ({Problem}); showing this instance's alone")]
    private partial void LogPullFailed(string problem);
}
