using System.Diagnostics.Metrics;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Device;

/// <summary>
/// Who asked, and what applies to them: takes the config snapshot once, so the device, its policy
/// and the lists the policy points at all come from the same config, and asks
/// <see cref="ClientPolicyResolver"/> for the client's device, the policy in force now and
/// whether blocking is paused. Later stages decide with that answer.
/// A query from one of <c>Devices:TrustedForwarders</c> that names its client (ECS with a whole
/// address, dnsmasq's MAC options) is decided for that client: <see cref="QueryContext.Client"/>
/// becomes the address it names (rate limits, the inventory and the query log then see the
/// device, not the router) and <see cref="QueryContext.Forwarder"/> the router. From anyone
/// else the options are ignored, and counted. They are never forwarded: the forwarder asks
/// upstream with a query of its own, and the cache key has no options.
/// </summary>
public sealed class DeviceStage : IQueryStage
{
    private static readonly KeyValuePair<string, object?> Used = new("result", "used");
    private static readonly KeyValuePair<string, object?> Ignored = new("result", "ignored");

    private readonly ActiveConfig _config;
    private readonly ClientPolicyResolver _resolver;
    private readonly Counter<long> _clientOptions;

    public DeviceStage(ActiveConfig config, ClientPolicyResolver resolver, IMeterFactory meterFactory)
    {
        _config = config;
        _resolver = resolver;
        _clientOptions = meterFactory.Create(SinkholeMeter.Name).CreateCounter<long>("misinkhole.forwarder.client_options",
            description: "Queries that named their client in EDNS options (ECS, MAC): used (from a trusted forwarder) or ignored (from anyone else).");
    }

    public ValueTask InvokeAsync(QueryContext context, QueryDelegate next)
    {
        ConfigSnapshot rules = _config.Current;
        context.Config = rules;
        ref DnsQuery query = ref context.Query;
        ClientIdentity identity;
        if (context.ClientId is { } clientId)
        {
            identity = ClientIdentity.FromAddress(context.Client) with { ClientId = clientId }; // it names itself
        }
        else if (!query.HasClientOptions)
        {
            identity = ClientIdentity.FromAddress(context.Client);
        }
        else if (rules.Options.Devices.TrustedForwarders.Contains(context.Client))
        {
            _clientOptions.Add(1, Used);
            context.Forwarder = context.Client with { Port = 0 };
            ClientAddress? named = NamedAddress(query);
            if (named is { } address)
            {
                context.Client = address;
            }

            identity = ClientIdentity.Forwarded(named, new MacAddress(query.EdnsMac));
        }
        else
        {
            _clientOptions.Add(1, Ignored);
            identity = ClientIdentity.FromAddress(context.Client);
        }

        context.Identity = identity;
        context.ClientPolicy = _resolver.Resolve(rules, identity);
        return next(context);
    }

    /// <summary>The client's address from ECS, when it is a whole one (/32, /128): a subnet is no device.</summary>
    private static ClientAddress? NamedAddress(in DnsQuery query) => query.EcsFamily switch
    {
        1 when query.EcsSourcePrefix == 32 => new ClientAddress(query.EcsAddress, true, 0),
        2 when query.EcsSourcePrefix == 128 => ClientAddress.FromIPv6Bits(query.EcsAddress),
        _ => null,
    };
}
