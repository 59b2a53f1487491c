using System.Diagnostics;

namespace MiSinkhole.TestKit;

/// <summary>Runs the real <c>curl</c>; the output is what <c>-w</c> and <c>-o</c> make of the exchange.</summary>
public static class Curl
{
    public static async Task<DigResult> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--silent");
        start.ArgumentList.Add("--show-error");
        start.ArgumentList.Add("--max-time");
        start.ArgumentList.Add("10");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start curl (apt-get install curl)");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new DigResult(process.ExitCode, await output, await error);
    }
}
