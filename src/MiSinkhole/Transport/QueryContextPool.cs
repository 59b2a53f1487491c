using System.Collections.Concurrent;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Transport;

/// <summary>
/// Reusable query contexts, at most <see cref="Capacity"/> alive: this bounds how many queries
/// are in flight at once (and the memory they hold). When it runs dry, new queries are dropped.
/// </summary>
public sealed class QueryContextPool
{
    private readonly ConcurrentBag<QueryContext> _free = [];
    private int _created;

    public QueryContextPool(int capacity) => Capacity = capacity;

    public int Capacity { get; }

    public QueryContext? TryRent()
    {
        if (_free.TryTake(out QueryContext? context))
        {
            return context;
        }

        if (Interlocked.Increment(ref _created) <= Capacity)
        {
            return new QueryContext();
        }

        Interlocked.Decrement(ref _created);
        return null;
    }

    public void Return(QueryContext context)
    {
        context.Reset();
        _free.Add(context);
    }
}
