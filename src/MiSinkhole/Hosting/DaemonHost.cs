using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Http;
using MiSinkhole.Transport;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace MiSinkhole.Hosting;

/// <summary>
/// Builds the daemon's host: the query pipeline, the DNS server, the background services,
/// console logging, and (unless <c>Http:Listen</c> is <c>none</c>) one Kestrel listener for
/// <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> and the <c>/api</c>.
/// </summary>
public static class DaemonHost
{
    /// <param name="configFile">The config file to watch for changes; null (the embedded config, tests): none.</param>
    public static IHost Build(SinkholeOptions options, Action<ILoggingBuilder>? configureLogging = null, ConfigFileSource? configFile = null)
    {
        if (options.Http.Listen is not IPEndPoint http)
        {
            HostApplicationBuilder plain = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = options.BaseDirectory });
            AddDaemon(plain.Services, plain.Logging, options, configureLogging, configFile);
            return plain.Build();
        }

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = options.BaseDirectory });
        AddDaemon(builder.Services, builder.Logging, options, configureLogging, configFile);
        // Before anything listens: the API token (made in DataDirectory at the first start).
        builder.Services.AddSingleton(ApiCredentials.Resolve(options));
        builder.Services.AddSingleton(options.Http);
        builder.Services.AddSingleton<WebSessions>();
        builder.Services.AddSingleton<HttpAccess>();
        builder.Services.AddSingleton<CostlyReads>();
        // Bound before the host starts (BindListeners), handed to Kestrel here.
        var httpSocket = new HttpListenSocket(http);
        builder.Services.AddSingleton(httpSocket);
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.CreateBoundListenSocket = httpSocket.Take);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(http));
        builder.Services.AddRoutingCore();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            // The context's converters (camelCase enums) apply only to its own options: add them to these.
            foreach (System.Text.Json.Serialization.JsonConverter converter in ApiJsonContext.Default.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("misinkhole", serviceVersion: typeof(DaemonHost).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics => metrics
                .AddMeter(SinkholeMeter.Name, "System.Runtime")
                .AddView("misinkhole.dns.query.duration", new ExplicitBucketHistogramConfiguration { Boundaries = SinkholeMeter.DurationBuckets })
                .AddView("misinkhole.upstream.duration", new ExplicitBucketHistogramConfiguration { Boundaries = SinkholeMeter.DurationBuckets })
                // promtool rejects gauges named *_count: the runtime's three get plural names.
                .AddView("dotnet.assembly.count", new MetricStreamConfiguration { Name = "dotnet.assemblies.loaded" })
                .AddView("dotnet.process.cpu.count", new MetricStreamConfiguration { Name = "dotnet.process.cpus" })
                .AddView("dotnet.timer.count", new MetricStreamConfiguration { Name = "dotnet.timers.active" })
                .AddPrometheusExporter());
        WebApplication app = builder.Build();
        // Its gauge (unclassified names per device) is scraped from the start, not only once the API has been asked.
        app.Services.GetRequiredService<MiSinkhole.Core.Discovery.UnclassifiedNames>();
        // Every request, after routing has picked its endpoint and before that runs: Host, Origin, token.
        HttpAccess access = app.Services.GetRequiredService<HttpAccess>();
        app.Use(access.InvokeAsync);
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAccess(HttpAccessLevel.Metrics);
        HealthEndpoints.Map(app);
        ApiEndpoints.Map(app);
        SettingsEndpoints.Map(app);
        SessionEndpoints.Map(app, options);
        WebPage.Map(app);
        LiveQueryLog.Map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MiSinkhole.Http");
            string addresses = string.Join(", ", app.Urls);
            DaemonHostLog.ServingHttp(logger, addresses);
            access.LogStart();
        });
        return app;
    }

    /// <summary>
    /// Binds every listen address (DNS UDP and TCP, then HTTP) before the host starts, so an
    /// address that cannot be bound stops the start before any service runs, with one line that
    /// names it.
    /// </summary>
    /// <exception cref="ListenException">An address cannot be bound.</exception>
    public static void BindListeners(IHost host)
    {
        host.Services.GetRequiredService<DnsServer>().Bind();
        host.Services.GetService<HttpListenSocket>()?.Bind();
    }

    private static void AddDaemon(IServiceCollection services, ILoggingBuilder logging, SinkholeOptions options, Action<ILoggingBuilder>? configureLogging, ConfigFileSource? configFile)
    {
        if (SystemdHelpers.IsSystemdService())
        {
            logging.AddSystemdConsole(); // "<6>message" lines: the journal keeps each line's severity
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            });
        }

        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning); // our own lines say what listens where and when it stops
        // Logging:LogLevel from the config, after our defaults so that it wins over them.
        if (options.Logging.Default is LogLevel level)
        {
            logging.SetMinimumLevel(level);
        }

        foreach ((string category, LogLevel categoryLevel) in options.Logging.Categories)
        {
            logging.AddFilter(category, categoryLevel);
        }

        configureLogging?.Invoke(logging);
        services.AddHostedService<LifetimeLog>();
        services.AddQueryPipeline(options);
        services.AddSystemd(); // under systemd: its lifetime and journal-friendly console logging
        services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<SystemdNotifications>(); // READY=1 and the watchdog whenever NOTIFY_SOCKET is set
        services.AddSingleton<DnsServer>();
        // Before the DNS server: the inventory is back (with auto policies) before the first query.
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Inventory.InventoryStore>());
        // Before the DNS server, so it stops after it (hosted services stop in reverse): the last queries are written.
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.QueryLog.QueryLogWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<DnsServer>());
        // After the DNS server: it serves from the cached lists at once, this then refreshes them.
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Lists.ListRefreshService>());
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Devices.NeighbourTable>());
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.Devices.ClientNameResolver>());
        if (configFile is not null)
        {
            services.AddSingleton(configFile);
            services.AddSingleton<ConfigWatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<ConfigWatcher>());
        }

        // Last: the rules are loaded and the config file watched before changes from other instances arrive.
        services.AddSingleton<ConfigFileEditor>();
        services.AddSingleton<MiSinkhole.Core.State.ISharedChangeHandler, ConfigChangeHandler>();
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.State.SharedState>());
        services.AddHostedService(sp => sp.GetRequiredService<MiSinkhole.Core.State.SharedInventory>());
    }
}
