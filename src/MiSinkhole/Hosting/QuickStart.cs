using System.Collections;

namespace MiSinkhole.Hosting;

/// <summary>
/// Where the embedded quick-start config (no <c>--config</c>) reads its rules and keeps its state.
/// <list type="bullet">
/// <item>Rules: run from a build folder inside a source checkout (<c>dotnet run --project
/// src/MiSinkhole</c>: a folder above the program holds <c>MiSinkhole.sln</c> and
/// <c>config/rules</c>), its relative paths resolve against the checkout's <c>config/</c>, so the
/// rules a newcomer edits are the rules served (and reloaded when they change). Anywhere else
/// (published, Docker, installed) against the program's folder, next to which the build copies
/// <c>rules/</c>.</item>
/// <item>State (<c>DataDirectory</c>: query log, inventory, list downloads):
/// <c>$XDG_STATE_HOME/misinkhole</c>, else <c>~/.local/state/misinkhole</c>, else a folder in
/// the temp directory; never the source or the build tree.</item>
/// </list>
/// A config file given with <c>--config</c> uses neither rule: its paths resolve against its own folder.
/// </summary>
public static class QuickStart
{
    /// <summary>The folder the embedded config's relative paths resolve against.</summary>
    public static string ConfigDirectory(string programDirectory)
    {
        for (DirectoryInfo? dir = new(programDirectory); dir is not null; dir = dir.Parent)
        {
            string rules = Path.Combine(dir.FullName, "config", "rules");
            if (File.Exists(Path.Combine(dir.FullName, "MiSinkhole.sln")) && Directory.Exists(rules))
            {
                return Path.Combine(dir.FullName, "config");
            }
        }

        return programDirectory;
    }

    /// <summary>The quick start's <c>DataDirectory</c>, from the XDG base directory convention.</summary>
    public static string StateDirectory(IDictionary environment)
    {
        if (environment["XDG_STATE_HOME"] is string state && Path.IsPathFullyQualified(state))
        {
            return Path.Combine(state, "misinkhole");
        }

        if (environment["HOME"] is string home && Path.IsPathFullyQualified(home))
        {
            return Path.Combine(home, ".local", "state", "misinkhole");
        }

        return Path.Combine(Path.GetTempPath(), "misinkhole-" + Environment.UserName);
    }
}
