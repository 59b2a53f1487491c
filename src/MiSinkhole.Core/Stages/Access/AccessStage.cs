using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Access;

/// <summary>
/// Before decoding: only clients in <c>Dns:AllowedClients</c> (private ranges by default) get past
/// this point, so the daemon is never an open resolver. A stranger's well-formed standard query
/// gets REFUSED (no larger than the query); anything else from a stranger (malformed, another
/// opcode, an EDNS version we do not speak) gets nothing at all: never a FORMERR, NOTIMP or BADVERS
/// that a spoofed source could have reflected at someone.
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

        if (DnsQueryParser.Parse(context.Request, context.LowerName, out context.Query) == DnsParseResult.Ok)
        {
            context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, DnsResponseCode.Refused);
            context.Outcome = Outcome.Refused;
        }
        else
        {
            context.ResponseLength = 0;
            context.Outcome = Outcome.Dropped;
        }

        return default;
    }
}
