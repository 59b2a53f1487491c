namespace MiSinkhole.TestKit;

/// <summary>Runs the real <c>curl</c>; the output is what <c>-w</c> and <c>-o</c> make of the exchange.</summary>
public static class Curl
{
    public static Task<DigResult> RunAsync(params string[] arguments) =>
        ToolProcess.RunAsync("curl", "curl", ["--silent", "--show-error", "--max-time", "10", .. arguments]);
}
