using System.Net;

namespace MiSinkhole.TestKit;

/// <summary>Runs the real <c>kdig</c> (Debian package knot-dnsutils), as a DoT client with <c>+tls</c>.</summary>
public static class Kdig
{
    /// <summary>kdig's standard output (and error, after it), with its exit code.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IPEndPoint server, params string[] arguments)
    {
        DigResult result = await DnsTool.RunAsync("kdig", "knot-dnsutils", server, ["+retry=0", "+timeout=5"], arguments);
        return (result.ExitCode, result.Output + result.Error);
    }
}
