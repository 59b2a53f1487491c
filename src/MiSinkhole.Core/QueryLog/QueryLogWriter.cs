using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Postgres;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// The query log: the DNS path hands each query to <see cref="Record"/> (with <c>PolicyMatches</c>,
/// those a list decided and those for unclassified Xiaomi names), which copies it into one
/// of <c>QueueSize</c> preallocated events and queues it (with none free, the query is dropped and
/// counted: the DNS path never waits or allocates, and the writer never writes more than
/// QueueSize rows per flush); this background service writes the queued events to SQLite (WAL)
/// in one transaction every <c>FlushInterval</c> (with <c>Collapse</c>, a client's repeats of
/// one query within a minute as one row with a count, <see cref="QueryLogCollapser"/>), keeps
/// the file within <c>MaxBytes</c> (<see cref="QueryLogBudget"/>), deletes rows past
/// <c>Retention</c>, and on a graceful stop writes what is still queued. It runs on its own
/// thread at <see cref="BackgroundPriority.Nice"/>, so a flush gives way to the DNS receive loop.
/// </summary>
public sealed partial class QueryLogWriter : BackgroundService
{
    private static readonly TimeSpan RetentionCheck = TimeSpan.FromMinutes(10);

    /// <summary>The action of a row for an unclassified Xiaomi name, which no list decided (<c>/api/querylog?action=unclassified</c>).</summary>
    public const string UnclassifiedAction = "unclassified";

    private readonly QueryLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueryLogWriter> _logger;
    private readonly Channel<QueryLogEvent> _queue;
    private readonly ConcurrentQueue<QueryLogEvent> _pool = new();
    private readonly IQueryLogStore _store;
    private readonly Lock _flushLock = new();
    private readonly ClientAnonymizer _anonymizer;
    private long _written;
    private readonly StripedCounter _dropped = new(); // a flood drops on every core at once
    private long _lastRetention;
    private long _deletedForBudget;
    private readonly QueryLogCollapser _collapser = new();
    private readonly QueryLogClock _clock;

    // A flush's working lists, kept between flushes (under the flush lock): at a flood's rate they
    // hold thousands of entries, and new ones every second were large-object-heap garbage.
    private readonly List<QueryLogEvent> _batch = [];
    private readonly List<(QueryLogEvent Event, QueryLogCollapser.Key Key, int Count)> _rows = [];
    private readonly Dictionary<QueryLogCollapser.Key, int> _index = [];
    private readonly List<QueryLogPendingRow> _pending = [];

    // A database that went away: the batch is kept (its events stay out of the pool, so the queue's
    // bound still holds) and tried again after a back-off that doubles up to 30 s.
    private bool _keeping;
    private int _failures;
    private DateTimeOffset _retryAt;
    private int _reachable = 1;

    public QueryLogWriter(SinkholeOptions options, TimeProvider time, ILogger<QueryLogWriter> logger, IMeterFactory meterFactory, ClientAnonymizer? anonymizer = null, PostgresDatabases? databases = null)
    {
        _anonymizer = anonymizer ?? new ClientAnonymizer(options);
        _store = options.QueryLog.Provider == QueryLogProvider.Postgres
            ? new PostgresQueryLogStore(options.QueryLog, options.Instance.Name, databases ?? throw new ArgumentNullException(nameof(databases), "QueryLog:Provider Postgres needs the databases"), time)
            : new SqliteQueryLogStore(options.QueryLog, options.Instance.Name);
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableCounter("misinkhole.querylog.written", () => Written, description: "Query-log events written to the database.");
        meter.CreateObservableCounter("misinkhole.querylog.dropped", () => Dropped, description: "Query-log events dropped because the queue was full or the database could not be written (the DNS path never waits).");
        _options = options.QueryLog;
        _time = time;
        _clock = new QueryLogClock(time);
        _logger = logger;
        // Unbounded (lock-free writes): the QueueSize preallocated events are the bound.
        _queue = Channel.CreateUnbounded<QueryLogEvent>(new UnboundedChannelOptions { SingleReader = true });
        meter.CreateObservableGauge("misinkhole.querylog.reachable", () => Volatile.Read(ref _reachable),
            description: "1 while the query log's database takes writes, 0 while it cannot be reached (events queue up to QueryLog:QueueSize, then drop).");
        if (_options.Record != QueryLogRecordMode.None)
        {
            // Every event there will ever be: a query finding none free is dropped and counted,
            // so a flood can neither allocate nor make the writer outrun the DNS path for CPU.
            for (int i = 0; i < _options.QueueSize; i++)
            {
                _pool.Enqueue(new QueryLogEvent());
            }
        }
    }

    public QueryLogRecordMode Mode => _options.Record;

    public string Path => _store.Describe;

    /// <summary>Whether the last write reached the database (false from a failed write until one succeeds).</summary>
    public bool Reachable => Volatile.Read(ref _reachable) == 1;

    /// <summary>Events written to the database since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Events dropped because the queue was full (or the database unusable) since start.</summary>
    public long Dropped => _dropped.Value;

    /// <summary>Rows deleted since start to keep the database within <c>QueryLog:MaxBytes</c>.</summary>
    public long DeletedForBudget => Interlocked.Read(ref _deletedForBudget);

    /// <summary>Offers one answered query to the log. Never blocks; allocates nothing once the pool is warm.</summary>
    /// <param name="answeredAt">When it was answered, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp (the accounting stage's; 0: now).</param>
    public void Record(QueryContext context, Outcome outcome, double latencyMilliseconds, long answeredAt = 0)
    {
        if (_options.Record == QueryLogRecordMode.None
            || (_options.Record == QueryLogRecordMode.PolicyMatches && context.PolicyAction == PolicyAction.None && context.UnclassifiedList is null)
            || context.Query.NameLength == 0)
        {
            return;
        }

        if (!_pool.TryDequeue(out QueryLogEvent? e))
        {
            _dropped.Increment(); // all QueueSize events are queued or being written
            return;
        }

        context.QueryName.CopyTo(e.WireName);
        e.WireNameLength = context.Query.NameLength;
        e.UnixMilliseconds = _clock.UnixMilliseconds(answeredAt);
        e.Device = context.Device;
        e.Client = context.Client;
        e.Forwarder = context.Forwarder;
        e.Type = context.Query.Type;
        e.Outcome = outcome;
        e.Action = context.PolicyAction;
        e.List = context.MatchedList;
        e.Unclassified = context.UnclassifiedList;
        e.Rules = context.Config;
        e.ResponseCode = context.ResponseLength >= 4 ? context.Response[3] & 0x0F : -1;
        e.LatencyMilliseconds = latencyMilliseconds;
        if (!_queue.Writer.TryWrite(e))
        {
            _dropped.Increment();
            Return(e);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Flush(final: true); // what is still queued (and kept): a graceful stop loses nothing the store takes
    }

    /// <summary>Writes everything queued now; returns how many rows. For the loop, the stop and tests.</summary>
    public int Flush() => Flush(final: false);

    /// <param name="final">At stop: a kept batch is tried now whatever the back-off, and dropped (counted) if it still cannot be written.</param>
    private int Flush(bool final)
    {
        lock (_flushLock) // the loop, the stop and a caller may flush at once; the queue has one reader
        {
            return FlushLocked(final);
        }
    }

    private int FlushLocked(bool final)
    {
        _clock.Resync();
        if (_keeping && !final && _time.GetUtcNow() < _retryAt)
        {
            return 0; // the database is away: wait out the back-off, the queue holds the rest
        }

        List<QueryLogEvent> batch = _batch;
        if (!_keeping)
        {
            batch.Clear();
        }

        while (_queue.Reader.TryRead(out QueryLogEvent? e))
        {
            batch.Add(e);
        }

        if (batch.Count == 0)
        {
            return 0;
        }

        try
        {
            Write(batch);
            Interlocked.Add(ref _written, batch.Count);
            if (_keeping || Volatile.Read(ref _reachable) == 0)
            {
                LogReachable(_store.Describe, batch.Count);
            }

            _keeping = false;
            _failures = 0;
            Volatile.Write(ref _reachable, 1);
            return batch.Count;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            Volatile.Write(ref _reachable, 0);
            if (_store.KeepsFailedBatches && !final)
            {
                _failures++;
                _retryAt = _time.GetUtcNow() + PostgresConnection.BackOff(_failures);
                if (!_keeping)
                {
                    LogUnreachable(e, _store.Describe, batch.Count);
                }

                _keeping = true;
                return 0;
            }

            _keeping = false; // at stop, or a file: these events are gone
            _dropped.Add(batch.Count);
            LogWriteFailed(e, _store.Describe, batch.Count);
            return 0;
        }
        finally
        {
            if (!_keeping)
            {
                foreach (QueryLogEvent e in batch)
                {
                    Return(e);
                }

                batch.Clear();
            }
        }
    }

    /// <summary>What a store throws when it cannot write: a database's error, a lost connection, the file system.</summary>
    private static bool IsStoreFailure(Exception e) => e is UnauthorizedAccessException || PostgresConnection.IsFailure(e);

    /// <summary>Whether the writer thread runs at <see cref="BackgroundPriority.Nice"/> (false before it starts, or where the system refused).</summary>
    internal bool WriterThreadLowered { get; private set; }

    /// <summary>The writer thread's nice value as it read it back at start (null where unknown or not started).</summary>
    internal int? WriterThreadNice { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_anonymizer.Enabled)
        {
            MaskStoredClients();
        }

        // Its own thread, at a lower priority: a flush (SQLite, the budget, retention) then gives
        // the core to the DNS receive loop whenever a query arrives instead of sharing it, which
        // is what a one-core box (or a daemon pinned to a core) sees in its answer-time tail.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "Query log writer",
        };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        WriterThreadLowered = BackgroundPriority.LowerCurrentThread();
        WriterThreadNice = BackgroundPriority.CurrentThreadNice();

        // Also with Record=None: rows from before it was switched off still expire.
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            do
            {
                Flush();
                DeleteExpired();
            }
            while (timer.WaitForNextTickAsync(stoppingToken).AsTask().GetAwaiter().GetResult());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Write(List<QueryLogEvent> batch)
    {
        List<QueryLogPendingRow> pending = _pending;
        pending.Clear();
        foreach ((QueryLogEvent e, QueryLogCollapser.Key key, int count) in Collapse(batch))
        {
            pending.Add(new QueryLogPendingRow
            {
                Event = e,
                Count = count,
                ExistingId = _options.Collapse && _collapser.TryGetRow(key, out long id) ? id : 0,
                Name = DnsName.ToText(e.Name),
                Client = ClientText(e),
                Rule = RuleOf(e),
                Forwarder = e.Forwarder is { } forwarder ? _anonymizer.Show(forwarder) : null,
            });
        }

        int deleted = _store.Write(CollectionsMarshal.AsSpan(pending));
        if (_options.Collapse)
        {
            for (int i = 0; i < pending.Count; i++)
            {
                QueryLogPendingRow row = pending[i];
                if (row.Id != row.ExistingId)
                {
                    // A new row; when the one it would have added to was gone (budget, retention), forget that one.
                    QueryLogCollapser.Key key = _rows[i].Key;
                    if (row.ExistingId != 0)
                    {
                        _collapser.Forget(key);
                    }

                    _collapser.Remember(key, row.Id);
                }
            }
        }

        pending.Clear();
        if (deleted > 0)
        {
            Interlocked.Add(ref _deletedForBudget, deleted);
            LogOverBudget(deleted, _options.MaxBytes);
        }
    }

    /// <summary>The batch's rows: with <c>Collapse</c>, the events of one key as the first of them and their count.</summary>
    private List<(QueryLogEvent Event, QueryLogCollapser.Key Key, int Count)> Collapse(List<QueryLogEvent> batch)
    {
        List<(QueryLogEvent Event, QueryLogCollapser.Key Key, int Count)> rows = _rows;
        rows.Clear();
        Dictionary<QueryLogCollapser.Key, int>? index = _options.Collapse ? _index : null;
        index?.Clear();
        foreach (QueryLogEvent e in batch)
        {
            if (index is null)
            {
                rows.Add((e, default, 1));
                continue;
            }

            QueryLogCollapser.Key key = _collapser.KeyOf(e);
            if (index.TryGetValue(key, out int at))
            {
                rows[at] = rows[at] with { Count = rows[at].Count + 1 };
            }
            else
            {
                index[key] = rows.Count;
                rows.Add((e, key, 1));
            }
        }

        return rows;
    }

    /// <summary>
    /// Rows written with the client's address before <c>QueryLog:AnonymizeClients</c> was turned
    /// on get its token instead (one pass, at start), the old text overwritten on disk
    /// (<c>secure_delete</c>); returns how many.
    /// </summary>
    internal int MaskStoredClients()
    {
        int masked = Change(() => _store.MaskClients(_anonymizer.Show, ClientAnonymizer.Prefix));
        if (masked > 0)
        {
            LogMasked(masked);
        }

        return masked;
    }

    /// <summary>Deletes rows older than <c>Retention</c> (at most every 10 minutes unless forced); returns how many.</summary>
    internal int DeleteExpired(bool force = false)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!force && now - _lastRetention < RetentionCheck.TotalMilliseconds)
        {
            return 0;
        }

        _lastRetention = now;
        int deleted = Change(() => _store.DeleteBefore(now - (long)_options.Retention.TotalMilliseconds));
        if (deleted > 0)
        {
            LogExpired(deleted);
        }

        return deleted;
    }

    /// <summary>One change to the rows already written; the rows it changed, or 0 when the store cannot be written (logged).</summary>
    private int Change(Func<int> change)
    {
        try
        {
            return change();
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            LogWriteFailed(e, _store.Describe, 0);
            return 0;
        }
    }

    /// <summary>The rule of the deciding list, or for an unclassified name the zone it is under.</summary>
    private static string? RuleOf(QueryLogEvent e) =>
        (e.Action == PolicyAction.None ? e.Unclassified : e.List) is string list ? e.Rules?.RuleText(e.Name, e.Type, list) : null;

    private string ClientText(QueryLogEvent e) => _anonymizer.Show(e.Client);

    private void Return(QueryLogEvent e)
    {
        e.Rules = null;
        e.List = null;
        e.Unclassified = null;
        _pool.Enqueue(e);
    }

    [LoggerMessage(EventId = LogEventIds.QueryLog + 1, Level = LogLevel.Warning, Message = "Query log {Path}: could not write {Count} events (dropped)")]
    private partial void LogWriteFailed(Exception exception, string path, int count);

    [LoggerMessage(EventId = LogEventIds.QueryLog + 5, Level = LogLevel.Error, Message = "Query log {Store}: cannot be reached; {Count} events kept, the queue holds what follows (up to QueryLog:QueueSize, then drops) while it is tried again")]
    private partial void LogUnreachable(Exception exception, string store, int count);

    [LoggerMessage(EventId = LogEventIds.QueryLog + 6, Level = LogLevel.Information, Message = "Query log {Store}: reachable again, {Count} events written")]
    private partial void LogReachable(string store, int count);

    [LoggerMessage(EventId = LogEventIds.QueryLog + 4, Level = LogLevel.Information, Message = "Query log: {Count} rows written with client addresses before QueryLog:AnonymizeClients was on now hold their tokens")]
    private partial void LogMasked(int count);

    [LoggerMessage(EventId = LogEventIds.QueryLog + 2, Level = LogLevel.Debug, Message = "Query log: {Count} rows past the retention deleted")]
    private partial void LogExpired(int count);

    [LoggerMessage(EventId = LogEventIds.QueryLog + 3, Level = LogLevel.Debug, Message = "Query log: {Count} oldest rows deleted to stay within {MaxBytes} bytes")]
    private partial void LogOverBudget(int count, long maxBytes);
}
