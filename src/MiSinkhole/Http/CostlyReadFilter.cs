using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace MiSinkhole.Http;

/// <summary>
/// Runs an endpoint (or, with <paramref name="when"/>, the requests it picks) only with a place
/// from <see cref="CostlyReads"/>; 503 with <c>Retry-After</c> when the queue is full.
/// </summary>
public sealed class CostlyReadFilter(CostlyReads reads, Func<HttpContext, bool>? when = null) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (when is not null && !when(context.HttpContext))
        {
            return await next(context).ConfigureAwait(false);
        }

        using RateLimitLease lease = await reads.AcquireAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            context.HttpContext.Response.Headers.RetryAfter = "1";
            return Results.Problem($"{reads.Concurrency} costly reads (explain, stats, querylog?name=) are running and {reads.QueueLimit} waiting: try again in a moment",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Busy");
        }

        return await next(context).ConfigureAwait(false);
    }
}
