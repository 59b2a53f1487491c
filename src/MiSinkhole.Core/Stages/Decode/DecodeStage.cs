using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Decode;

/// <summary>
/// Parses header, question and EDNS from the received bytes (span-based, no allocation).
/// Short-circuits: malformed → FORMERR, opcode ≠ QUERY → NOTIMP, EDNS version &gt; 0 → BADVERS,
/// zone transfers → REFUSED, responses (QR=1) and runts → no reply at all.
/// </summary>
public sealed class DecodeStage : IQueryStage
{
    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        DnsParseResult result = DnsQueryParser.Parse(context.Request, context.LowerName, out context.Query);
        switch (result)
        {
            case DnsParseResult.Ok when context.Query.Type is not (DnsRecordType.AXFR or DnsRecordType.IXFR):
                return next(context);
            case DnsParseResult.Ok:
                Answer(context, DnsResponseCode.Refused, Outcome.Refused);
                break;
            case DnsParseResult.Drop:
                context.Outcome = Outcome.Dropped;
                context.ResponseLength = 0;
                break;
            case DnsParseResult.NotImplemented:
                Answer(context, DnsResponseCode.NotImp, Outcome.NotImp);
                break;
            case DnsParseResult.BadVersion:
                Answer(context, DnsResponseCode.BadVers, Outcome.FormErr);
                break;
            default:
                Answer(context, DnsResponseCode.FormErr, Outcome.FormErr);
                break;
        }

        return default;
    }

    private static void Answer(QueryContext context, int rcode, Outcome outcome)
    {
        context.ResponseLength = DnsResponseWriter.WriteError(context.ResponseBuffer, context.Request, context.Query, rcode);
        context.Outcome = outcome;
    }
}
