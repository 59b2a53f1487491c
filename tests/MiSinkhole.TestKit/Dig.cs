using System.Net;

namespace MiSinkhole.TestKit;

/// <summary>Runs the real <c>dig</c> (Debian package dnsutils) against a server and returns its output.</summary>
public static class Dig
{
    public static Task<DigResult> RunAsync(IPEndPoint server, params string[] arguments) =>
        DnsTool.RunAsync("dig", "dnsutils", server, ["+tries=1", "+time=3"], arguments);
}
