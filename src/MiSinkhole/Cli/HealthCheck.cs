using System.Net;
using System.Net.Sockets;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;

namespace MiSinkhole.Cli;

/// <summary>
/// <c>misinkhole health</c>: asks the running daemon, as Docker's HEALTHCHECK and monitoring
/// scripts do, whether it serves. Its DNS listener must answer the probe (<see cref="DnsProbe"/>,
/// answered by the daemon itself, so an unreachable upstream cannot make it slow), and
/// <c>/readyz</c> must say ready. Exit 0 only if both do.
/// </summary>
public static class HealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<(bool Healthy, string Report)> RunAsync(SinkholeOptions options, CancellationToken cancellationToken)
    {
        IPEndPoint dns = DnsProbe.Reachable(options.Dns.Listen[0]);
        string dnsResult = await DnsProbe.AskAsync(dns, Timeout, attempts: 1, cancellationToken).ConfigureAwait(false) ?? "ok";
        string httpResult = options.Http.Listen is IPEndPoint http ? await AskReadyAsync(DnsProbe.Reachable(http), cancellationToken).ConfigureAwait(false) : "ok (HTTP is off)";
        bool healthy = dnsResult == "ok" && httpResult.StartsWith("ok", StringComparison.Ordinal);
        return (healthy, $"dns {dns}: {dnsResult}; http: {httpResult}");
    }

    private static async Task<string> AskReadyAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout };
        string host = server.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{server.Address}]" : server.Address.ToString();
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri($"http://{host}:{server.Port}/readyz"), cancellationToken).ConfigureAwait(false);
            string body = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            return response.IsSuccessStatusCode ? $"ok ({body})" : $"{(int)response.StatusCode} {body}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.Message;
        }
    }
}
