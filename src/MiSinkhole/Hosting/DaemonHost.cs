using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Transport;

namespace MiSinkhole.Hosting;

/// <summary>Builds the daemon's host: the query pipeline, the DNS server, the background services, console logging.</summary>
public static class DaemonHost
{
    /// <param name="configFile">The config file to watch for changes; null (the embedded config, tests): none.</param>
    public static IHost Build(SinkholeOptions options, Action<ILoggingBuilder>? configureLogging = null, ConfigFileSource? configFile = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = options.BaseDirectory,
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddQueryPipeline(options);
        builder.Services.AddSingleton<DnsServer>();
        // Before the DNS server: the inventory is back (with auto policies) before the first query.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Inventory.InventoryStore>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DnsServer>());
        // After the DNS server: it serves from the cached lists at once, this then refreshes them.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Lists.ListRefreshService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Devices.NeighbourTable>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Devices.ClientNameResolver>());
        if (configFile is not null)
        {
            builder.Services.AddSingleton(configFile);
            builder.Services.AddSingleton<ConfigWatcher>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigWatcher>());
        }
        return builder.Build();
    }
}
