using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Postgres;
using Npgsql;

namespace MiSinkhole.Core.State;

/// <summary>
/// With <c>State:Provider</c> <c>Postgres</c>, the changes users make on one instance (a pause, a
/// policy switch, a named client, a review decision) are applied by every instance: each change,
/// once applied here, is published (<see cref="Publish"/>) as a row of <c>state_changes</c> and a
/// <c>NOTIFY</c>; every instance <c>LISTEN</c>s, reads the rows after the last it applied (also
/// every 10 s, the safety net for a lost notification) and hands each, in order, to the
/// <see cref="ISharedChangeHandler"/> of its kind (its own as well: in force already, so a no-op,
/// but two instances that changed the same thing while apart then agree on the later change).
/// Kept in memory only: changes waiting when the daemon stops are lost.
/// Where it stands is kept in <c>DataDirectory/state-position</c>, so a restart applies only what
/// it missed (a new instance: everything, in order). Writers take an advisory lock, so ids commit
/// in order and no reader skips one. The database away: changes made meanwhile wait in memory
/// (up to 1,000) and are written when it is back; reconnects back off up to 30 s; the DNS path
/// never touches any of this.
/// </summary>
public sealed partial class SharedState : BackgroundService
{
    public const int MaxPending = 1000;
    public const string Channel = "misinkhole_state";
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(10);

    private static readonly string[] Steps =
    [
        """
        CREATE TABLE state_changes (
          id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), instance text NOT NULL,
          kind text NOT NULL, subject text NOT NULL, value text NOT NULL);
        """,
    ];

    private readonly NpgsqlDataSource? _source;
    private readonly string _instance;
    private readonly string _positionFile;
    private readonly Dictionary<string, ISharedChangeHandler> _handlers;
    private readonly ILogger<SharedState> _logger;
    private readonly ConcurrentQueue<(string Kind, string Subject, string Value)> _pending = new();
    private readonly SemaphoreSlim _wake = new(0);
    private long _position;
    private int _reachable = 1;
    private bool _migrated;

    public SharedState(SinkholeOptions options, PostgresDatabases databases, IEnumerable<ISharedChangeHandler> handlers, ILogger<SharedState> logger, IMeterFactory meterFactory)
    {
        _instance = options.Instance.Name;
        _logger = logger;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _positionFile = Path.Combine(options.DataDirectory, "state-position");
        if (options.State.Provider == StateProvider.Postgres)
        {
            _source = databases.Get(options.State.ConnectionString!);
            Describe = PostgresConnection.Describe(options.State.ConnectionString!);
            _position = ReadPosition();
            Meter meter = meterFactory.Create(SinkholeMeter.Name);
            meter.CreateObservableGauge("misinkhole.state.reachable", () => Volatile.Read(ref _reachable),
                description: "1 while the shared state's database takes and gives changes, 0 while it cannot be reached (changes wait, up to 1000).");
            meter.CreateObservableGauge("misinkhole.state.pending", () => _pending.Count, description: "Changes made here that wait to be written to the shared state.");
            foreach (IPublishingChangeHandler publisher in _handlers.Values.OfType<IPublishingChangeHandler>())
            {
                publisher.Attach(this);
            }
        }
    }

    /// <summary>What the log calls the database (never its password); null when nothing is shared.</summary>
    public string? Describe { get; }

    public bool IsShared => _source is not null;

    /// <summary>Whether the last exchange with the database worked.</summary>
    public bool Reachable => Volatile.Read(ref _reachable) == 1;

    /// <summary>The id of the last change read (applied, or this instance's own).</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Changes made here waiting to be written.</summary>
    public int Pending => _pending.Count;

    /// <summary>Shares a change already applied here (nothing without a shared state). Never waits.</summary>
    public void Publish(string kind, string subject, string value)
    {
        if (_source is null)
        {
            return;
        }

        if (_pending.Count >= MaxPending)
        {
            LogPendingFull(kind, subject);
            return;
        }

        _pending.Enqueue((kind, subject, value));
        _wake.Release();
    }

    /// <summary>One exchange now: the pending changes written, the others' read and applied (tests; the loop does the same).</summary>
    public void SyncNow() => Sync();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_source is null)
        {
            return;
        }

        Task listener = ListenAsync(stoppingToken);
        int failures = 0;
        TimeSpan wait = TimeSpan.Zero;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
                try
                {
                    Sync();
                    if (failures > 0)
                    {
                        LogReachable(Describe!, Position);
                    }

                    failures = 0;
                    wait = SafetyNet;
                    Volatile.Write(ref _reachable, 1);
                }
                catch (Exception e) when (IsFailure(e))
                {
                    if (failures++ == 0)
                    {
                        LogUnreachable(e, Describe!, _pending.Count);
                    }

                    Volatile.Write(ref _reachable, 0);
                    wait = PostgresConnection.BackOff(failures);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await listener.ConfigureAwait(false);
    }

    /// <summary>A connection of its own that waits for notifications and wakes the loop; reconnects with a back-off.</summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        int failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await _source!.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, _) => _wake.Release();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                failures = 0;
                _wake.Release(); // what was written while it was not listening
                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsFailure(e))
            {
                failures++;
                try
                {
                    await Task.Delay(PostgresConnection.BackOff(failures), stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private readonly Lock _syncLock = new();

    private void Sync()
    {
        lock (_syncLock)
        {
            using NpgsqlConnection connection = _source!.OpenConnection();
            if (!_migrated)
            {
                PostgresSchema.Migrate(connection, "state", Steps);
                _migrated = true;
            }

            WritePending(connection);
            ReadNew(connection);
        }
    }

    private void WritePending(NpgsqlConnection connection)
    {
        while (_pending.TryPeek(out (string Kind, string Subject, string Value) change))
        {
            using (NpgsqlTransaction transaction = connection.BeginTransaction())
            {
                // One writer at a time: ids then commit in order, so a reader past id n never misses one below it.
                PostgresSchema.Execute(connection, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey} + 1)");
                using var insert = new NpgsqlCommand(
                    $"WITH added AS (INSERT INTO state_changes (instance, kind, subject, value) VALUES (@instance, @kind, @subject, @value) RETURNING id) SELECT pg_notify('{Channel}', id::text) FROM added", connection);
                insert.Parameters.AddWithValue("instance", _instance);
                insert.Parameters.AddWithValue("kind", change.Kind);
                insert.Parameters.AddWithValue("subject", change.Subject);
                insert.Parameters.AddWithValue("value", change.Value);
                insert.ExecuteNonQuery();
                transaction.Commit();
            }

            _pending.TryDequeue(out _);
        }
    }

    private void ReadNew(NpgsqlConnection connection)
    {
        while (true)
        {
            var changes = new List<SharedChange>();
            using (var select = new NpgsqlCommand("SELECT id, instance, kind, subject, value, at FROM state_changes WHERE id > @position ORDER BY id LIMIT 500", connection))
            {
                select.Parameters.AddWithValue("position", Position);
                using NpgsqlDataReader reader = select.ExecuteReader();
                while (reader.Read())
                {
                    changes.Add(new SharedChange(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
                }
            }

            foreach (SharedChange change in changes)
            {
                // Its own too (in force already: a no-op), in the order of the ids, so that two
                // instances that changed the same thing while apart end with the same, the later.
                Apply(change, echo: change.Instance == _instance);
                Interlocked.Exchange(ref _position, change.Id);
            }

            if (changes.Count > 0)
            {
                WritePosition();
            }

            if (changes.Count < 500)
            {
                return;
            }
        }
    }

    private void Apply(SharedChange change, bool echo)
    {
        if (!_handlers.TryGetValue(change.Kind, out ISharedChangeHandler? handler))
        {
            LogUnknownKind(change.Id, change.Kind, change.Instance);
            return;
        }

        try
        {
            handler.Apply(change);
            if (!echo)
            {
                LogApplied(change.Id, change.Kind, change.Subject, change.Instance);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogApplyFailed(e, change.Id, change.Kind, change.Subject, change.Instance);
        }
    }

    private long ReadPosition()
    {
        try
        {
            return File.Exists(_positionFile) && long.TryParse(File.ReadAllText(_positionFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long position) ? position : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private void WritePosition()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_positionFile)!);
            string next = _positionFile + ".new";
            File.WriteAllText(next, Position.ToString(CultureInfo.InvariantCulture) + "\n");
            File.Move(next, _positionFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPositionNotSaved(_positionFile, e.Message);
        }
    }

    private static bool IsFailure(Exception e) => PostgresConnection.IsFailure(e);

    public override void Dispose()
    {
        base.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(EventId = LogEventIds.State + 1, Level = LogLevel.Information, Message = "Shared state: applied change {Id} ({Kind} {Subject}) made on {Instance}")]
    private partial void LogApplied(long id, string kind, string subject, string instance);

    [LoggerMessage(EventId = LogEventIds.State + 2, Level = LogLevel.Warning, Message = "Shared state: change {Id} ({Kind} {Subject}) made on {Instance} could not be applied here")]
    private partial void LogApplyFailed(Exception exception, long id, string kind, string subject, string instance);

    [LoggerMessage(EventId = LogEventIds.State + 3, Level = LogLevel.Warning, Message = "Shared state: change {Id} from {Instance} is of a kind this build does not know ({Kind}): skipped")]
    private partial void LogUnknownKind(long id, string kind, string instance);

    [LoggerMessage(EventId = LogEventIds.State + 4, Level = LogLevel.Error, Message = "Shared state {Database}: cannot be reached; {Pending} changes made here wait and are written when it is back (changes made elsewhere arrive then too)")]
    private partial void LogUnreachable(Exception exception, string database, int pending);

    [LoggerMessage(EventId = LogEventIds.State + 5, Level = LogLevel.Information, Message = "Shared state {Database}: reachable again, at change {Position}")]
    private partial void LogReachable(string database, long position);

    [LoggerMessage(EventId = LogEventIds.State + 6, Level = LogLevel.Error, Message = "Shared state: 1000 changes wait already; {Kind} {Subject} is applied here only")]
    private partial void LogPendingFull(string kind, string subject);

    [LoggerMessage(EventId = LogEventIds.State + 7, Level = LogLevel.Warning, Message = "Shared state: cannot save the position in {File} ({Problem}); a restart applies those changes again (they are idempotent)")]
    private partial void LogPositionNotSaved(string file, string problem);
}
