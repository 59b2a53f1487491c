using System.CommandLine;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.Http;

namespace MiSinkhole.Cli;

/// <summary>
/// <c>misinkhole web-password</c>: sets the web page's password for the daemon of this config. It
/// reads one line from standard input (typed at the prompt, or piped: <c>echo … | misinkhole
/// web-password</c>; never an argument, which other users see in the process list) and keeps only
/// its hash in <c>DataDirectory/web-password</c> (<see cref="WebPasswordFile"/>); the running
/// daemon takes it at the next login. <c>--remove</c> deletes it (the page then takes the token only).
/// </summary>
public static class WebPasswordCommand
{
    public static Command Create(Option<FileInfo?> configOption)
    {
        var remove = new Option<bool>("--remove") { Description = "Delete the web password: the page then takes the API token only." };
        var command = new Command("web-password", "Set the web page's password (read from standard input; only its hash is kept, in DataDirectory/web-password).")
        {
            configOption,
            remove,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => Run(parse.GetValue(configOption)?.FullName, parse.GetValue(remove), parse.UnmatchedTokens));
        return command;
    }

    private static int Run(string? configFile, bool remove, IReadOnlyList<string> overrides)
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

        string file = WebPasswordFile.PathIn(config.Options.DataDirectory);
        if (remove)
        {
            File.Delete(file);
            Console.Error.WriteLine($"misinkhole: removed {file}: the web page takes the API token only");
            return 0;
        }

        if (!Console.IsInputRedirected)
        {
            Console.Error.Write($"New web password (at least {WebPasswordFile.MinLength} characters): ");
        }

        string? password = Console.In.ReadLine();
        try
        {
            WebPasswordFile.Write(file, password ?? "");
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("misinkhole: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"misinkhole: cannot write {file}: {e.Message} (run it as the daemon's user, with its config)");
            return 1;
        }

        Console.Error.WriteLine($"misinkhole: the web password's hash is in {file}; log in on the page with it (or the API token)");
        return 0;
    }
}
