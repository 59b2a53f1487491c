using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Rules;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Policy;

/// <summary>
/// Matches the query name and its parents against the compiled lists and applies the client's
/// policy: Block → sinkhole answer here (never sent upstream); Log → marked "would have blocked"
/// and passed on (so is Block while blocking is paused for the device); Allow → passed on. The device stage has chosen the policy and the snapshot;
/// without it (tests of this stage alone) the current snapshot and <c>DefaultPolicy</c> apply.
/// </summary>
public sealed class PolicyStage : IQueryStage
{
    private readonly RuleEngine _engine;

    public PolicyStage(RuleEngine engine) => _engine = engine;

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        RulesSnapshot rules = context.Rules ?? _engine.Current;
        CompiledPolicy policy = context.Policy ?? rules.DefaultPolicy;
        context.Rules = rules;
        context.Policy = policy;
        PolicyDecision decision = policy.Decide(rules.Rules.Match(context.QueryName, context.Query.Type));
        context.PolicyAction = decision.Action == PolicyAction.Blocked && context.BlockingPaused ? PolicyAction.Logged : decision.Action;
        if (decision.ListIndex >= 0)
        {
            context.MatchedList = rules.ListName(decision.ListIndex);
        }

        if (context.PolicyAction != PolicyAction.Blocked)
        {
            return next(context);
        }

        WriteBlocked(context, policy, rules, decision.ListIndex);
        return default;
    }

    /// <summary>Writes the policy's sinkhole answer for the query (also used for blocked CNAME targets).</summary>
    public static void WriteBlocked(QueryContext context, CompiledPolicy policy, RulesSnapshot rules, int listIndex)
    {
        context.ResponseLength = DnsResponseWriter.WriteBlocked(
            context.ResponseBuffer, context.Request, context.Query, policy.BlockResponse, policy.BlockTtl, rules.ListNamesUtf8[listIndex],
            policy.BlockIPv4, policy.BlockIPv6);
        context.Outcome = Outcome.Blocked;
        context.Answer = null;
    }
}
