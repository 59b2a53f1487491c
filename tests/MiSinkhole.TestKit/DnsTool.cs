using System.Globalization;
using System.Net;

namespace MiSinkhole.TestKit;

/// <summary>Runs a real command-line DNS client (dig, kdig) at a server: <c>@address -p port</c>, its own options, then the test's.</summary>
internal static class DnsTool
{
    public static Task<DigResult> RunAsync(string tool, string package, IPEndPoint server, IEnumerable<string> options, IEnumerable<string> arguments) =>
        ToolProcess.RunAsync(tool, package, [$"@{server.Address}", "-p", server.Port.ToString(CultureInfo.InvariantCulture), .. options, .. arguments]);
}
