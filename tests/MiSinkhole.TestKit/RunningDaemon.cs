using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.Http;
using MiSinkhole.Transport;

namespace MiSinkhole.TestKit;

/// <summary>
/// The real daemon host, started in-process on 127.0.0.1 with a port the kernel picks, from config
/// given as key/value pairs ("Upstreams:Servers:0" = fake upstream). Relative list paths resolve
/// against <see cref="Directory"/>, a fresh temp folder tests write their lists into.
/// </summary>
public sealed class RunningDaemon : IAsyncDisposable
{
    private RunningDaemon(IHost host, TempDirectory directory)
    {
        Host = host;
        Directory = directory;
        Server = host.Services.GetRequiredService<DnsServer>();
        EndPoint = Server.EndPoints[0];
    }

    public IHost Host { get; }

    public DnsServer Server { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The HTTP listener (/metrics, /healthz, /readyz, the API), e.g. http://127.0.0.1:41234.</summary>
    public Uri HttpAddress => new(Host.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    public TempDirectory Directory { get; }

    /// <summary>The token the daemon's API takes: <c>Http:ApiToken</c>, or the one it made in its <c>DataDirectory</c>.</summary>
    public string ApiToken => Get<ApiCredentials>().Token;

    /// <summary>A client of the HTTP listener that sends the API token (<c>Authorization: Bearer</c>) with every request.</summary>
    public HttpClient ApiClient() => new()
    {
        BaseAddress = HttpAddress,
        DefaultRequestHeaders = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiToken) },
    };

    public T Get<T>()
        where T : notnull => Host.Services.GetRequiredService<T>();

    /// <summary>Starts a daemon. <paramref name="files"/> are written into the temp folder first (name → content).</summary>
    public static async Task<RunningDaemon> StartAsync(IDictionary<string, string?> settings, IDictionary<string, string>? files = null)
    {
        var directory = new TempDirectory();
        foreach ((string name, string content) in files ?? new Dictionary<string, string>())
        {
            directory.Write(name, content);
        }

        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Dns:Listen:0"] = "127.0.0.1:0", ["Http:Listen"] = "127.0.0.1:0" };
        foreach ((string key, string? value) in settings)
        {
            all[key] = value;
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = SinkholeConfigReader.Read(configuration, directory.Path);
        List<ConfigError> errors = [.. problems.Where(p => !p.IsWarning)];
        if (errors.Count > 0)
        {
            directory.Dispose();
            throw new InvalidOperationException("bad test config: " + string.Join("; ", errors));
        }

        IHost host = DaemonHost.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return new RunningDaemon(host, directory);
    }

    /// <summary>
    /// Starts a daemon from a config file, as <c>misinkhole run --config FILE</c> would, with
    /// overrides. Unless they set <c>DataDirectory</c>, its state goes to <see cref="Directory"/>,
    /// never next to the file (config/misinkhole.json would otherwise write config/data/ into the
    /// source tree).
    /// </summary>
    public static async Task<RunningDaemon> StartFromFileAsync(string configFile, params string[] overrides)
    {
        var directory = new TempDirectory();
        string[] data = overrides.Any(o => o.StartsWith("--DataDirectory", StringComparison.OrdinalIgnoreCase)) ? [] : ["--DataDirectory=" + directory.Path];
        overrides = ["--Http:Listen=127.0.0.1:0", .. data, .. overrides];
        LoadedConfig config = ConfigLoader.Load(configFile, overrides, environment: new Dictionary<string, string>());
        if (!config.IsValid)
        {
            directory.Dispose();
            throw new InvalidOperationException("bad test config: " + string.Join("; ", config.Problems));
        }

        IHost host = DaemonHost.Build(config.Options, logging => logging.SetMinimumLevel(LogLevel.Warning),
            new ConfigFileSource(config.Source, overrides, new Dictionary<string, string>()) { LoadedStamp = config.FileStamp });
        await host.StartAsync();
        return new RunningDaemon(host, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        Directory.Dispose();
    }
}
