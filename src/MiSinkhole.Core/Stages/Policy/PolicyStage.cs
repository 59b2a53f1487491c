using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Stages.Policy;

/// <summary>
/// Matches the query name and its parents against the compiled lists and applies the client's
/// policy as the device stage resolved it: Block → sinkhole answer here (never sent upstream);
/// Log → marked "would have blocked" and passed on (so is Block while blocking is paused for the
/// client); Allow → passed on. A name under one of Xiaomi's zones that no other list knows is
/// marked unclassified (<see cref="QueryContext.UnclassifiedList"/>), whatever the policy: the
/// inventory, the metrics and the query log record it for review.
/// </summary>
public sealed class PolicyStage : IQueryStage
{
    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ConfigSnapshot rules = context.Config!;
        ref ClientPolicy client = ref context.ClientPolicy;
        RuleMatch match = rules.Rules.Match(context.QueryName, context.Query.Type);
        PolicyDecision decision = client.Decide(match);
        context.PolicyAction = decision.Action;
        if (decision.ListIndex >= 0)
        {
            context.MatchedList = rules.ListName(decision.ListIndex);
        }
        else if (rules.UnclassifiedZone(match) is int zone and >= 0)
        {
            context.UnclassifiedList = rules.ListName(zone); // no list decided: no policy's list, and maybe no list at all
        }

        if (decision.Action != PolicyAction.Blocked)
        {
            return next(context);
        }

        WriteBlocked(context, client.Policy, rules, decision.ListIndex);
        return default;
    }

    /// <summary>Writes the policy's sinkhole answer for the query (also used for blocked CNAME targets).</summary>
    public static void WriteBlocked(QueryContext context, CompiledPolicy policy, ConfigSnapshot rules, int listIndex)
    {
        context.ResponseLength = DnsResponseWriter.WriteBlocked(
            context.ResponseBuffer, context.Request, context.Query, rules.ListBlockResponses[listIndex] ?? policy.BlockResponse, policy.BlockTtl, rules.ListNamesUtf8[listIndex],
            policy.BlockIPv4, policy.BlockIPv6);
        context.Outcome = Outcome.Blocked;
        context.Answer = null;
    }
}
