using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Stages.Device;

/// <summary>
/// Who asked, and what applies to them: takes the config snapshot once, so the device, its policy
/// and the lists the policy points at all come from the same config, and asks
/// <see cref="ClientPolicyResolver"/> for the client's device, the policy in force now and
/// whether blocking is paused. Later stages decide with that answer.
/// </summary>
public sealed class DeviceStage : IQueryStage
{
    private readonly ActiveConfig _config;
    private readonly ClientPolicyResolver _resolver;

    public DeviceStage(ActiveConfig config, ClientPolicyResolver resolver)
    {
        _config = config;
        _resolver = resolver;
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ConfigSnapshot rules = _config.Current;
        context.Config = rules;
        context.ClientPolicy = _resolver.Resolve(rules, ClientIdentity.FromAddress(context.Client));
        return next(context);
    }
}
