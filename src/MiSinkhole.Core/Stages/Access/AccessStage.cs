using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Access;

/// <summary>
/// Right after decoding: only clients in <c>Dns:AllowedClients</c> (private ranges by default) get
/// past this point; everyone else gets REFUSED, so the daemon is never an open resolver.
/// </summary>
public sealed class AccessStage : IQueryStage
{
    private readonly AddressSet _allowed;

    public AccessStage(SinkholeOptions options) => _allowed = options.Dns.AllowedClients;

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        if (_allowed.Contains(context.Client))
        {
            return next(context);
        }

        context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.Refused);
        context.Outcome = Outcome.Refused;
        return default;
    }
}
