using System.Diagnostics;

namespace MiSinkhole.TestKit;

/// <summary>Runs a real command-line program to its end (at most 30 s): exit code, standard output and error.</summary>
internal static class ToolProcess
{
    public static async Task<DigResult> RunAsync(string tool, string package, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
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
