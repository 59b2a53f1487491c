using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Explain;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Access;
using MiSinkhole.Core.Stages.Accounting;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Core.Stages.Decode;
using MiSinkhole.Core.Stages.Device;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Core.Stages.Inspect;
using MiSinkhole.Core.Stages.Inventory;
using MiSinkhole.Core.Stages.Policy;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.Core.Stages.Truncate;

namespace MiSinkhole.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the stages, the services they use and the assembled <see cref="QueryPipeline"/>.</summary>
    public static IServiceCollection AddQueryPipeline(this IServiceCollection services, SinkholeOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.Upstreams);
        services.AddSingleton(options.Cache);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ActiveConfig>();
        services.AddSingleton<BlockingPause>();
        services.AddSingleton<XiaomiClients>();
        services.AddSingleton(new ClientAnonymizer(options));
        services.AddSingleton<ClientPolicyResolver>();
        services.AddSingleton(new ClientNameOptions { LeaseFiles = options.Devices.LeaseFiles, NameServer = options.Devices.NameServer, Off = options.QueryLog.AnonymizeClients });
        services.AddSingleton<ClientNameResolver>();
        services.AddSingleton<IClientNames>(sp => sp.GetRequiredService<ClientNameResolver>());
        services.AddSingleton<MiSinkhole.Core.Inventory.DeviceInventory>();
        services.AddSingleton<MiSinkhole.Core.Inventory.InventoryStore>();
        services.AddSingleton<MiSinkhole.Core.Discovery.UnclassifiedNames>();
        services.AddSingleton(sp => new NeighbourTable(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NeighbourTable>>()));
        services.AddSingleton<INeighbourTable>(sp => sp.GetRequiredService<NeighbourTable>());
        services.AddSingleton<RuleExplainer>();
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { { "User-Agent", "MiSinkhole/1 (+https://github.com/misinkhole)" } },
        });
        services.AddSingleton<MiSinkhole.Core.Lists.ListDownloader>();
        services.AddSingleton<MiSinkhole.Core.Lists.ListRefreshService>();
        services.AddSingleton<DnsCache>();
        services.AddSingleton<IUdpExchange>(_ => EpollUdpExchange.IsSupported ? new EpollUdpExchange() : new SocketUdpExchange());
        services.AddSingleton<UpstreamFactory>();
        services.AddSingleton<DesignatedResolver>();
        services.AddSingleton<UpstreamResolver>();
        services.AddSingleton<CacheRefresher>();
        services.AddSingleton<ClientLimiter>();
        services.AddMetrics();
        // Every series of ours carries the instance's name (two instances scraped into one Prometheus).
        services.Replace(ServiceDescriptor.Singleton<System.Diagnostics.Metrics.IMeterFactory>(_ => new MiSinkhole.Core.Metrics.InstanceMeterFactory(options.Instance.Name)));
        services.AddSingleton<QueryMetrics>();
        services.AddSingleton<MiSinkhole.Core.Postgres.PostgresDatabases>();
        services.AddSingleton<MiSinkhole.Core.State.ISharedChangeHandler, MiSinkhole.Core.State.PauseChangeHandler>();
        services.AddSingleton<MiSinkhole.Core.State.ISharedChangeHandler, MiSinkhole.Core.State.ReviewChangeHandler>();
        services.AddSingleton<MiSinkhole.Core.State.ISharedChangeHandler, MiSinkhole.Core.State.XiaomiFlagChangeHandler>();
        services.AddSingleton<MiSinkhole.Core.State.SharedState>();
        services.AddSingleton<MiSinkhole.Core.State.SharedInventory>();
        services.AddSingleton<MiSinkhole.Core.QueryLog.QueryLogWriter>();
        services.AddSingleton<MiSinkhole.Core.QueryLog.QueryLogReader>();
        services.AddSingleton<AccountingStage>();
        services.AddSingleton<TruncateStage>();
        services.AddSingleton<DecodeStage>();
        services.AddSingleton<AccessStage>();
        services.AddSingleton<DeviceStage>();
        services.AddSingleton<InventoryStage>();
        services.AddSingleton<RateLimitStage>();
        services.AddSingleton<PolicyStage>();
        services.AddSingleton<InspectStage>();
        services.AddSingleton<CacheStage>();
        services.AddSingleton<ForwardStage>();
        services.AddSingleton(sp => QueryPipelineBuilder.Build(
            sp.GetRequiredService<AccountingStage>(),
            sp.GetRequiredService<TruncateStage>(),
            sp.GetRequiredService<AccessStage>(),
            sp.GetRequiredService<DecodeStage>(),
            sp.GetRequiredService<DeviceStage>(),
            sp.GetRequiredService<InventoryStage>(),
            sp.GetRequiredService<RateLimitStage>(),
            sp.GetRequiredService<PolicyStage>(),
            sp.GetRequiredService<InspectStage>(),
            sp.GetRequiredService<CacheStage>(),
            sp.GetRequiredService<ForwardStage>()));
        return services;
    }
}
