using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// The asynchronous end of one query's chain, owned by its (pooled) <see cref="QueryContext"/>:
/// the stages that were waiting on the inner part, in the order they deferred, and the
/// <see cref="ValueTask"/> the transport awaits, completed once they all ran. The inner part is
/// hooked when the transport starts waiting, after the last stage has deferred. A forwarded query
/// used to allocate an async state machine per stage (six, about 1.1 KB a query); this is
/// allocated once per context and reused, like the context.
/// </summary>
internal sealed class QueryCompletions : IValueTaskSource
{
    /// <summary>Stages that may wait on the inner part at once (every stage of the chain fits).</summary>
    private const int Capacity = 12;

    private readonly QueryContext _context;
    private readonly Action _innerCompleted;
    private readonly (IQueryCompletion Completion, long State)[] _waiting = new (IQueryCompletion, long)[Capacity];
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _inner;
    private int _count;
    private bool _hooked;

    public QueryCompletions(QueryContext context)
    {
        _context = context;
        _innerCompleted = InnerCompleted;
    }

    /// <summary>See <see cref="QueryContext.Defer"/>.</summary>
    public ValueTask Defer(ValueTask pending, IQueryCompletion completion, long state)
    {
        if (_count == Capacity)
        {
            throw new InvalidOperationException($"more than {Capacity} stages deferred one query");
        }

        if (_count == 0)
        {
            _inner = pending.ConfigureAwait(false).GetAwaiter(); // the innermost stage: what it waits on, they all wait on
        }

        // An outer stage's pending is the task returned below, which stays pending until the
        // transport waits on it (see OnCompleted): so no stage's step can be missed.
        _waiting[_count++] = (completion, state);
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Forgets the finished query (the context is reset for the next one).</summary>
    public void Reset()
    {
        if (_count > 0)
        {
            Array.Clear(_waiting, 0, _count);
            _count = 0;
            _hooked = false;
            _inner = default;
            _core.Reset();
        }
    }

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <summary>
    /// The transport waits on the chain: only now, with every stage's step queued, is the inner
    /// part hooked, so its completion (on the upstream's thread) cannot run the steps while the
    /// receive thread is still queueing the outer ones.
    /// </summary>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _core.OnCompleted(continuation, state, token, flags);
        if (!_hooked)
        {
            _hooked = true;
            _inner.UnsafeOnCompleted(_innerCompleted);
        }
    }

    private void InnerCompleted()
    {
        Exception? error = null;
        try
        {
            _inner.GetResult();
        }
        catch (Exception e)
        {
            error = e;
        }

        _inner = default;
        for (int i = 0; i < _count; i++)
        {
            (IQueryCompletion completion, long state) = _waiting[i];
            try
            {
                completion.Complete(_context, state, error);
            }
            catch (Exception e)
            {
                error = e;
            }
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }
}
