using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Last stage: resolves the question upstream (the only asynchronous work on the query path) and
/// writes the answer for this client, or SERVFAIL when every upstream failed.
/// </summary>
public sealed class ForwardStage : IQueryStage
{
    private readonly UpstreamResolver _resolver;
    private readonly DnsCache _cache;

    public ForwardStage(UpstreamResolver resolver, DnsCache cache)
    {
        _resolver = resolver;
        _cache = cache;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ref DnsQuery query = ref context.Query;
        Task<DnsAnswer?> pending = _resolver.ResolveAsync(context.QueryName, query.Type, query.Class, query.DnssecOk, query.CheckingDisabled);
        if (pending.IsCompletedSuccessfully)
        {
            Write(context, pending.Result);
            return default;
        }

        return AwaitAndWrite(pending, context);
    }

    private async ValueTask AwaitAndWrite(Task<DnsAnswer?> pending, QueryContext context) =>
        Write(context, await pending.ConfigureAwait(false));

    private void Write(QueryContext context, DnsAnswer? answer)
    {
        if (answer is not null)
        {
            context.EnsureResponseCapacity(answer.Message.Length + 16);
            (uint minTtl, uint maxTtl) = _cache.TtlBounds(answer);
            int length = answer.WriteTo(context.ResponseBuffer, context.Request, context.Query, 0, minTtl, maxTtl);
            if (length > 0)
            {
                context.ResponseLength = length;
                context.Answer = answer;
                context.Outcome = Outcome.Forwarded;
                return;
            }
        }

        context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.ServFail);
        context.Outcome = Outcome.Failed;
    }
}
