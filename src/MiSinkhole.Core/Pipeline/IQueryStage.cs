namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// One link of the query chain (like ASP.NET Core middleware, CoreDNS plugins, Blocky resolvers):
/// it either answers (writes <see cref="QueryContext.Response"/>, sets the outcome and returns)
/// or calls <c>next</c> and, when that did not complete at once, hands what it does afterwards to
/// <see cref="QueryContext.Defer"/> (not an <c>await</c>: see there). Stages that answer locally
/// must complete synchronously: then the whole chain runs on the receive thread without allocating.
/// </summary>
public interface IQueryStage
{
    ValueTask InvokeAsync(QueryContext context, QueryDelegate next);
}
