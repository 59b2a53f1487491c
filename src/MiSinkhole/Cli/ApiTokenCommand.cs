using System.CommandLine;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.Http;

namespace MiSinkhole.Cli;

/// <summary>
/// <c>misinkhole api-token</c>: prints the token the daemon of this config accepts on its API
/// (<c>Http:ApiToken</c>, else the one it made in <c>DataDirectory/api-token</c>), alone on
/// stdout, for <c>curl -H "Authorization: Bearer $(misinkhole api-token …)"</c>; where it is
/// read from goes to stderr. Exit 1, saying why, when there is none to read.
/// </summary>
public static class ApiTokenCommand
{
    public static Command Create(Option<FileInfo?> configOption)
    {
        var command = new Command("api-token", "Print the API token of the daemon of this config (Http:ApiToken, else the one the daemon made in its DataDirectory).")
        {
            configOption,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => Run(parse.GetValue(configOption)?.FullName, parse.UnmatchedTokens));
        return command;
    }

    private static int Run(string? configFile, IReadOnlyList<string> overrides)
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

        (string? token, string? why) = ApiTokenFile.ForClient(config.Options);
        if (token is null)
        {
            Console.Error.WriteLine("misinkhole: " + why);
            return 1;
        }

        Console.Error.WriteLine(config.Options.Http.ApiToken is null
            ? $"misinkhole: the token in {ApiTokenFile.PathIn(config.Options.DataDirectory)}:"
            : $"misinkhole: Http:ApiToken of {config.Source}:");
        Console.WriteLine(token);
        return 0;
    }
}
