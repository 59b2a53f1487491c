using System.CommandLine;
using Microsoft.Extensions.Hosting;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Explain;
using MiSinkhole.Hosting;
using MiSinkhole.Rules;

namespace MiSinkhole.Cli;

/// <summary>The verbs: <c>run</c> (default), <c>check-config</c>, <c>explain</c>, <c>health</c>, <c>review</c> and <c>api-token</c>.</summary>
public static class CommandLine
{
    public static RootCommand Create()
    {
        var configOption = new Option<FileInfo?>("--config", "-c")
        {
            Description = "JSON config file (default: the embedded quick-start config, 127.0.0.1:5300)",
        };

        var run = new Command("run", "Start the DNS daemon (the default verb). Extra --Section:Key=value arguments override the config.")
        {
            configOption,
        };
        run.TreatUnmatchedTokensAsErrors = false;
        run.SetAction((parse, token) => RunAsync(parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens, token));

        var check = new Command("check-config", "Validate the config and the rule lists; print every problem; exit 1 on any error.")
        {
            configOption,
        };
        check.TreatUnmatchedTokensAsErrors = false;
        check.SetAction(parse => CheckConfig(parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens));

        var nameArgument = new Argument<string>("name") { Description = "the domain name to explain" };
        var typeOption = new Option<string>("--type", "-t") { Description = "record type (default A)", DefaultValueFactory = _ => "A" };
        var deviceOption = new Option<string?>("--device", "-d") { Description = "explain for this device's policy" };
        var explain = new Command("explain", "Say what the daemon answers for a name and why: policy, list, rule, source line.")
        {
            nameArgument,
            typeOption,
            deviceOption,
            configOption,
        };
        explain.TreatUnmatchedTokensAsErrors = false;
        explain.SetAction(parse => Explain(
            parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens, parse.GetValue(nameArgument)!, parse.GetValue(typeOption)!, parse.GetValue(deviceOption)));

        var health = new Command("health", "Ask the running daemon (the config's first DNS address and Http:Listen) whether it serves; exit 0 only if DNS answers and /readyz says ready.")
        {
            configOption,
        };
        health.TreatUnmatchedTokensAsErrors = false;
        health.SetAction((parse, token) => HealthAsync(parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens, token));

        var root = new RootCommand("MiSinkhole: a DNS sinkhole for Xiaomi telemetry, per device.")
        {
            configOption,
            run,
            check,
            explain,
            health,
            ReviewCommand.Create(configOption),
            ApiTokenCommand.Create(configOption),
            WebPasswordCommand.Create(configOption),
        };
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction((parse, token) => RunAsync(parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens, token));
        return root;
    }

    private static async Task<int> RunAsync(string? configFile, IReadOnlyList<string> overrides, CancellationToken token)
    {
        LoadedConfig config = ConfigLoader.Load(configFile, overrides);
        foreach (ConfigError problem in config.Problems)
        {
            await Console.Error.WriteLineAsync(problem.ToString()).ConfigureAwait(false);
        }

        if (!config.IsValid)
        {
            await Console.Error.WriteLineAsync($"misinkhole: {config.Source} is not valid; not starting.").ConfigureAwait(false);
            return 1;
        }

        IHost built;
        try
        {
            built = DaemonHost.Build(config.Options, configFile: configFile is null ? null : new ConfigFileSource(config.Source, overrides) { LoadedStamp = config.FileStamp });
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync("misinkhole: " + e.Message).ConfigureAwait(false); // the API token file
            return 1;
        }

        using IHost host = built;
        try
        {
            // Before anything starts: a taken or privileged port is one line and exit 2, with no
            // service half started and nothing else to report.
            DaemonHost.BindListeners(host);
        }
        catch (MiSinkhole.Transport.ListenException e)
        {
            await Console.Error.WriteLineAsync("misinkhole: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        await host.RunAsync(token).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> HealthAsync(string? configFile, IReadOnlyList<string> overrides, CancellationToken token)
    {
        LoadedConfig config = ConfigLoader.Load(configFile, overrides);
        if (!config.IsValid)
        {
            await Console.Error.WriteLineAsync($"misinkhole: {config.Source} is not valid: {config.Problems.First(p => !p.IsWarning)}").ConfigureAwait(false);
            return 1;
        }

        (bool healthy, string report) = await HealthCheck.RunAsync(config.Options, token).ConfigureAwait(false);
        await Console.Out.WriteLineAsync((healthy ? "healthy: " : "unhealthy: ") + report).ConfigureAwait(false);
        return healthy ? 0 : 1;
    }

    private static int Explain(string? configFile, IReadOnlyList<string> overrides, string name, string type, string? device)
    {
        LoadedConfig config = ConfigLoader.Load(configFile, overrides);
        if (!config.IsValid)
        {
            foreach (ConfigError problem in config.Problems.Where(p => !p.IsWarning))
            {
                Console.Error.WriteLine(problem);
            }

            return 1;
        }

        (ConfigSnapshot snapshot, _) = ActiveConfig.Compile(config.Options);
        try
        {
            // Offline: the same resolver as the daemon's, but without its pauses and Xiaomi flags (they live in the running process).
            var offline = new ClientPolicyResolver(NoNeighbours.Instance, new XiaomiClients(), new BlockingPause(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<BlockingPause>.Instance), TimeProvider.System);
            Console.Write(new RuleExplainer(() => snapshot, offline).Explain(name, type, device));
            Console.WriteLine("note: explained from the config alone; the running daemon's answer, with its pauses and the clients Devices:AutoPolicy flagged, is at /api/explain");
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("misinkhole: " + e.Message);
            return 1;
        }
    }

    private static int CheckConfig(string? configFile, IReadOnlyList<string> overrides)
    {
        LoadedConfig config = ConfigLoader.Load(configFile, overrides);
        int errors = 0;
        foreach (ConfigError problem in config.Problems)
        {
            Console.WriteLine(problem);
            errors += problem.IsWarning ? 0 : 1;
        }

        if (errors == 0)
        {
            (ConfigSnapshot snapshot, List<RuleListError> listErrors) = ActiveConfig.Compile(config.Options);
            foreach (RuleListError error in listErrors)
            {
                Console.WriteLine(error);
            }

            errors += listErrors.Count;
            Console.WriteLine($"{config.Source}: {config.Options.Lists.Count} lists, {snapshot.Rules.Count} names, {config.Options.Policies.Count} policies, {config.Options.Devices.Devices.Count} devices, default policy '{config.Options.DefaultPolicy}'");
        }

        Console.WriteLine(errors == 0 ? "OK" : $"{errors} problem(s)");
        return errors == 0 ? 0 : 1;
    }
}
