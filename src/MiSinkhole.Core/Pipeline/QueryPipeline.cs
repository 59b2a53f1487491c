namespace MiSinkhole.Core.Pipeline;

/// <summary>The assembled chain; transports hand every received query to <see cref="ProcessAsync"/>.</summary>
public sealed class QueryPipeline
{
    private readonly QueryDelegate _entry;

    public QueryPipeline(QueryDelegate entry) => _entry = entry;

    /// <summary>
    /// Runs the chain. Completes synchronously (no allocation) for answers given locally:
    /// errors, refusals, blocks and cache hits. When it returns, <see cref="QueryContext.Response"/>
    /// holds the answer (or is empty: send nothing).
    /// </summary>
    public ValueTask ProcessAsync(QueryContext context) => _entry(context);
}
