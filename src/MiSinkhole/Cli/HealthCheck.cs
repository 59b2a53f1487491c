using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Cli;

/// <summary>
/// <c>misinkhole health</c>: asks the running daemon, as Docker's HEALTHCHECK and monitoring
/// scripts do, whether it serves. Its DNS listener must answer a query (one with an opcode the
/// daemon answers itself, NOTIMP, so an unreachable upstream cannot make it slow), and
/// <c>/readyz</c> must say ready. Exit 0 only if both do.
/// </summary>
public static class HealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<(bool Healthy, string Report)> RunAsync(SinkholeOptions options, CancellationToken cancellationToken)
    {
        IPEndPoint dns = Reachable(options.Dns.Listen[0]);
        string dnsResult = await AskDnsAsync(dns, cancellationToken).ConfigureAwait(false);
        string httpResult = options.Http.Listen is IPEndPoint http ? await AskReadyAsync(Reachable(http), cancellationToken).ConfigureAwait(false) : "ok (HTTP is off)";
        bool healthy = dnsResult == "ok" && httpResult.StartsWith("ok", StringComparison.Ordinal);
        return (healthy, $"dns {dns}: {dnsResult}; http: {httpResult}");
    }

    /// <summary>A wildcard listen address is asked on loopback.</summary>
    internal static IPEndPoint Reachable(IPEndPoint listen) =>
        listen.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, listen.Port)
        : listen.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, listen.Port)
        : listen;

    private static async Task<string> AskDnsAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] query = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        query[2] = 2 << 3; // opcode STATUS: answered by the daemon itself with NOTIMP
        try
        {
            await socket.SendToAsync(query, server, timeout.Token).ConfigureAwait(false);
            byte[] answer = new byte[512];
            int length = await socket.ReceiveAsync(answer, timeout.Token).ConfigureAwait(false);
            return length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(answer) == id && (answer[2] & 0x80) != 0 ? "ok" : "unexpected answer";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {Timeout.TotalSeconds:0} s";
        }
        catch (SocketException e)
        {
            return e.Message;
        }
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
