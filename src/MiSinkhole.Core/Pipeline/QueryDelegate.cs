namespace MiSinkhole.Core.Pipeline;

/// <summary>The rest of the chain from a stage's point of view.</summary>
public delegate ValueTask QueryDelegate(QueryContext context);
