using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MiSinkhole.TestKit;

/// <summary>Runs a real command-line DNS client (dig, kdig) at a server: <c>@address -p port</c>, its own options, then the test's.</summary>
internal static class DnsTool
{
    public static async Task<DigResult> RunAsync(string tool, string package, IPEndPoint server, IEnumerable<string> options, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"@{server.Address}");
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(server.Port.ToString(CultureInfo.InvariantCulture));
        foreach (string argument in options.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool} (apt-get install {package})");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new DigResult(process.ExitCode, await output, await error);
    }
}
