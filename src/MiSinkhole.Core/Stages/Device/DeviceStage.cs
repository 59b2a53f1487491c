using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Rules;

namespace MiSinkhole.Core.Stages.Device;

/// <summary>
/// Who asked, and what applies to them: takes the rules snapshot once, so the device, its policy
/// and the lists the policy points at all come from the same config, and asks
/// <see cref="ClientPolicyResolver"/> for the client's device, the policy in force now and
/// whether blocking is paused. Later stages decide with that answer.
/// </summary>
public sealed class DeviceStage : IQueryStage
{
    private readonly RuleEngine _engine;
    private readonly ClientPolicyResolver _resolver;

    public DeviceStage(RuleEngine engine, ClientPolicyResolver resolver)
    {
        _engine = engine;
        _resolver = resolver;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        RulesSnapshot rules = _engine.Current;
        context.Rules = rules;
        context.ClientPolicy = _resolver.Resolve(rules, ClientIdentity.FromAddress(context.Client));
        return next(context);
    }
}
