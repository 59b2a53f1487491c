using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.Hosting;

/// <summary>
/// Asks a DNS listener of ours whether it answers: a 12-byte query with the opcode STATUS, which
/// the daemon's decode stage answers itself (NOTIMP) on the receive thread, before any access
/// check, policy or upstream, so only a listener that does not receive or cannot answer fails it.
/// Used by <c>misinkhole health</c> and by the systemd watchdog. Each probe counts as one query
/// with the outcome <c>notimp</c> in the metrics.
/// </summary>
public static class DnsProbe
{
    /// <summary>A wildcard listen address is asked on loopback.</summary>
    public static IPEndPoint Reachable(IPEndPoint listen) =>
        listen.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, listen.Port)
        : listen.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, listen.Port)
        : listen;

    /// <summary>
    /// Sends the probe up to <paramref name="attempts"/> times (a datagram can be lost), waiting
    /// <paramref name="timeout"/> in all; null when it was answered, else why not.
    /// </summary>
    public static async Task<string?> AskAsync(IPEndPoint server, TimeSpan timeout, int attempts, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] query = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        query[2] = 2 << 3; // opcode STATUS: answered by the daemon itself with NOTIMP
        byte[] answer = new byte[512];
        try
        {
            for (int attempt = 0; attempt < attempts; attempt++)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(timeout / attempts);
                await socket.SendToAsync(query, server, wait.Token).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        int length = await socket.ReceiveAsync(answer, wait.Token).ConfigureAwait(false);
                        if (length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(answer) == id && (answer[2] & 0x80) != 0)
                        {
                            return null;
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // this attempt timed out: send again
                }
            }

            return $"no answer within {timeout.TotalSeconds:0.###} s";
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }
}
