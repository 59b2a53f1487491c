using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Core.Stages.Policy;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Inspect;

/// <summary>
/// Between policy and cache, so it sees cached and forwarded answers alike: checks the CNAME
/// targets of the answer against the same policy as the query name (CNAME cloaking). A blocked
/// target turns the whole answer into the sinkhole answer; a logged one marks the query logged.
/// The verdict comes from the same resolved client policy as the query name's (pauses included).
/// Names the policy explicitly allows are not inspected. Answers without CNAMEs cost nothing.
/// </summary>
public sealed class InspectStage : IQueryStage, IQueryCompletion
{
    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ValueTask pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return context.Defer(pending, this);
        }

        pending.GetAwaiter().GetResult();
        Inspect(context);
        return default;
    }

    void IQueryCompletion.Complete(QueryContext context, long state, Exception? error)
    {
        if (error is null)
        {
            Inspect(context);
        }
    }

    private static void Inspect(QueryContext context)
    {
        DnsAnswer? answer = context.Answer;
        if (answer is null || answer.CnameTargets.Length == 0 || context.PolicyAction == PolicyAction.Allowed || context.Config is not { } rules)
        {
            return;
        }

        ref ClientPolicy client = ref context.ClientPolicy;
        foreach (byte[] target in answer.CnameTargets)
        {
            PolicyDecision decision = client.Decide(rules.Rules.Match(target, context.Query.Type));
            if (decision.Action == PolicyAction.Blocked)
            {
                context.PolicyAction = PolicyAction.Blocked;
                context.MatchedList = rules.ListName(decision.ListIndex);
                PolicyStage.WriteBlocked(context, client.Policy, rules, decision.ListIndex);
                return;
            }

            if (decision.Action == PolicyAction.Logged && context.PolicyAction == PolicyAction.None)
            {
                context.PolicyAction = PolicyAction.Logged;
                context.MatchedList = rules.ListName(decision.ListIndex);
            }
        }
    }
}
