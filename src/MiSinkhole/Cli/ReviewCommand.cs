using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Logging;
using MiSinkhole.Hosting;
using MiSinkhole.Http;

namespace MiSinkhole.Cli;

/// <summary>
/// <c>misinkhole review</c>: the unclassified Xiaomi names the running daemon has seen, and the
/// user's decision about each, written to the config's local lists (<c>rules/local/*.txt</c>),
/// which the daemon reloads. The names come from the daemon's API (<c>/api/unclassified</c> at
/// the config's <c>Http:Listen</c>, with <c>Http:ApiToken</c>, else the token the daemon made in its
/// <c>DataDirectory</c>, see <see cref="ApiTokenFile"/>): it is current to
/// the last query, and reachable the same way under systemd (on the box) and in Docker
/// (<c>docker exec</c>), where the inventory file lags by up to 30 s and belongs to the daemon's
/// user. The decisions are written by this process, not the daemon, since the daemon may not
/// write its config folder (systemd's <c>ProtectSystem=strict</c>). Forms:
/// <c>review</c> (asks per name), <c>review --list</c> (prints them), and
/// <c>review NAME --as telemetry</c> (for scripts; needs no running daemon).
/// </summary>
public static class ReviewCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Command Create(Option<FileInfo?> configOption)
    {
        var nameArgument = new Argument<string?>("name") { Description = "decide this name without asking (with --as)", Arity = ArgumentArity.ZeroOrOne };
        var asOption = new Option<string?>("--as") { Description = "the decision for NAME: telemetry, ads, crash, essential (allow), ignore (known, benign)" };
        var listOption = new Option<bool>("--list", "-l") { Description = "print the unclassified names and exit" };
        var deviceOption = new Option<string?>("--device", "-d") { Description = "only the names this device (or client address, or 'unknown') asked for" };
        var review = new Command("review", "Review the unclassified Xiaomi names the running daemon has seen: decide each, and the decision is added to the config's local lists (rules/local/).")
        {
            nameArgument,
            asOption,
            listOption,
            deviceOption,
            configOption,
        };
        review.TreatUnmatchedTokensAsErrors = false;
        review.SetAction((parse, token) =>
        {
            // An override (--Http:Listen=…) given where NAME could stand is an override, not a name.
            string? name = parse.GetValue(nameArgument);
            List<string> overrides = [.. parse.UnmatchedTokens];
            if (name is not null && name.StartsWith("--", StringComparison.Ordinal))
            {
                overrides.Insert(0, name);
                name = null;
            }

            if (overrides.FirstOrDefault(o => !o.StartsWith("--", StringComparison.Ordinal) || !o.Contains('=', StringComparison.Ordinal)) is string unknown)
            {
                Console.Error.WriteLine($"misinkhole: {unknown}: not an option of review, nor a --Key=value or --Section:Key=value override");
                return Task.FromResult(1);
            }

            return RunAsync(parse.GetValue(configOption)?.FullName, overrides, name, parse.GetValue(asOption), parse.GetValue(listOption), parse.GetValue(deviceOption), token);
        });
        return review;
    }

    private static async Task<int> RunAsync(string? configFile, IReadOnlyList<string> overrides, string? name, string? decision, bool list, string? device, CancellationToken token)
    {
        LoadedConfig config = ConfigLoader.Load(configFile, overrides);
        if (!config.IsValid)
        {
            foreach (ConfigError error in config.Problems.Where(p => !p.IsWarning))
            {
                await Console.Error.WriteLineAsync(error.ToString()).ConfigureAwait(false);
            }

            return 1;
        }

        (ConfigSnapshot snapshot, _) = ActiveConfig.Compile(config.Options);
        if (name is not null || decision is not null)
        {
            return Decide(snapshot, name, decision);
        }

        (UnclassifiedReport? report, string? problem) = await FetchAsync(config.Options, device, token).ConfigureAwait(false);
        if (report is null)
        {
            await Console.Error.WriteLineAsync("misinkhole: " + problem).ConfigureAwait(false);
            return 1;
        }

        if (report.Names.Count == 0)
        {
            Console.WriteLine(device is null ? "No unclassified Xiaomi names." : $"No unclassified Xiaomi names for '{device}'.");
            return 0;
        }

        if (list)
        {
            Print(report);
            return 0;
        }

        new ReviewSession(Console.In, Console.Out, snapshot, TimeProvider.System) { EchoAnswers = Console.IsInputRedirected }.Run(report);
        return 0;
    }

    private static int Decide(ConfigSnapshot snapshot, string? name, string? decision)
    {
        if (name is null || decision is null)
        {
            Console.Error.WriteLine(name is null
                ? "misinkhole: --as needs a NAME: misinkhole review NAME --as telemetry"
                : $"misinkhole: what is {name}? Add --as telemetry, ads, crash, essential or ignore");
            return 1;
        }

        if (ReviewDecision.Parse(decision) is not { } parsed)
        {
            Console.Error.WriteLine($"misinkhole: --as {decision}: not telemetry, ads, crash, essential (allow) or ignore (known)");
            return 1;
        }

        try
        {
            Console.WriteLine(LocalDecisions.Apply(snapshot, name, parsed, "by hand", DateTimeOffset.Now).Message);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("misinkhole: " + e.Message);
            return 1;
        }
    }

    private static void Print(UnclassifiedReport report)
    {
        int width = Math.Max(4, report.Names.Max(n => n.Name.Length));
        Console.WriteLine($"{"NAME".PadRight(width)}  {"SUGGESTED",-10} {"COUNT",6}  {"LAST SEEN",-25}  CLIENTS");
        foreach (UnclassifiedNameReport name in report.Names)
        {
            Console.WriteLine($"{name.Name.PadRight(width)}  {name.Suggested ?? "-",-10} {name.Count,6}  {LocalTime.Format(name.LastSeen, TimeZoneInfo.Local),-25}  "
                + string.Join(", ", name.Clients.Select(c => $"{c.Client} ({c.Count})")));
        }
    }

    /// <summary>GET /api/unclassified from the running daemon; null and why when it cannot be had.</summary>
    private static async Task<(UnclassifiedReport? Report, string? Problem)> FetchAsync(SinkholeOptions options, string? device, CancellationToken token)
    {
        if (options.Http.Listen is not IPEndPoint listen)
        {
            return (null, "the config has no HTTP listener (Http:Listen is none), so the daemon's unclassified names cannot be read; decide names with 'misinkhole review NAME --as CATEGORY'");
        }

        IPEndPoint server = MiSinkhole.Hosting.DnsProbe.Reachable(listen);
        string host = server.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{server.Address}]" : server.Address.ToString();
        var url = new Uri($"http://{host}:{server.Port}/api/unclassified" + (device is null ? "" : "?device=" + Uri.EscapeDataString(device)));
        (string? apiToken, string? noToken) = ApiTokenFile.ForClient(options);
        if (apiToken is null)
        {
            return (null, "cannot ask the daemon for its unclassified names: " + noToken);
        }

        using var http = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiToken);

        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, token).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"{url}: {(int)response.StatusCode} {body}");
            }

            return (JsonSerializer.Deserialize(body, ApiJsonContext.Default.UnclassifiedReport), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, $"cannot read {url} ({e.Message}): is the daemon running with this config? (its Http:Listen)");
        }
    }
}
