using System.Diagnostics;
using System.Net;

namespace MiSinkhole.TestKit;

/// <summary>Runs the real <c>dig</c> (Debian package dnsutils) against a server and returns its output.</summary>
public static class Dig
{
    public static async Task<DigResult> RunAsync(IPEndPoint server, params string[] arguments)
    {
        var start = new ProcessStartInfo("dig")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add($"@{server.Address}");
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("+tries=1");
        start.ArgumentList.Add("+time=3");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dig (apt-get install dnsutils)");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new DigResult(process.ExitCode, await output, await error);
    }
}
