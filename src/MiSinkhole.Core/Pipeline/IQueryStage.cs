namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// One link of the query chain (like ASP.NET Core middleware, CoreDNS plugins, Blocky resolvers):
/// it either answers (writes <see cref="QueryContext.Response"/>, sets the outcome and returns)
/// or awaits <c>next</c>. Stages that answer locally must complete synchronously: then the whole
/// chain runs on the receive thread without allocating.
/// </summary>
public interface IQueryStage
{
    ValueTask InvokeAsync(QueryContext context, QueryDelegate next);
}
