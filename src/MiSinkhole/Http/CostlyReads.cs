using System.Threading.RateLimiting;

namespace MiSinkhole.Http;

/// <summary>
/// How many API reads that cost CPU (<c>/api/explain</c>, <c>/api/stats</c>,
/// <c>/api/querylog?name=</c>: a scan of the query log) run at once: half the cores (at least
/// one), so the DNS path keeps the rest, with a short queue behind them; beyond the queue a
/// request gets 503 at once (<see cref="CostlyReadFilter"/>) rather than piling up.
/// </summary>
public sealed class CostlyReads : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public CostlyReads()
        : this(Math.Max(1, Environment.ProcessorCount / 2), 16)
    {
    }

    public CostlyReads(int concurrency, int queue)
    {
        Concurrency = concurrency;
        QueueLimit = queue;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = concurrency,
            QueueLimit = queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Costly reads that may run at once.</summary>
    public int Concurrency { get; }

    /// <summary>Costly reads that may wait for one of those; more are refused.</summary>
    public int QueueLimit { get; }

    /// <summary>Reads waiting now.</summary>
    public long Waiting => _limiter.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>Free places now.</summary>
    public long Available => _limiter.GetStatistics()?.CurrentAvailablePermits ?? 0;

    /// <summary>A place to run one costly read; not acquired when the queue is full. Dispose it when done.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();
}
