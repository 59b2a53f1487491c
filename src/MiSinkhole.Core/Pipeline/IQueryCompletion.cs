namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// What a stage does once the inner part of the chain has finished, when that part went
/// asynchronous (a forwarded query): see <see cref="QueryContext.Defer"/>. Runs on the thread
/// that completed the inner part, innermost stage first, like the code after an <c>await</c>
/// would, but without an async state machine per stage and query.
/// </summary>
public interface IQueryCompletion
{
    /// <param name="context">The query.</param>
    /// <param name="state">What the stage passed to <see cref="QueryContext.Defer"/>.</param>
    /// <param name="error">
    /// The exception the inner part ended with, or null. Like code after an <c>await</c> that
    /// threw, a stage does its usual work only without one (and releases what it holds either
    /// way); an exception a completion throws is what the outer ones see.
    /// </param>
    void Complete(QueryContext context, long state, Exception? error);
}
