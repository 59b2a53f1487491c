using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>The portable exchange on .NET sockets (used where <see cref="EpollUdpExchange"/> is not available).</summary>
public sealed class SocketUdpExchange : IUdpExchange
{
    /// <summary>We advertise a 1232-byte EDNS size; 4 KiB leaves room for servers that ignore it.</summary>
    public const int AnswerBufferSize = 4096;

    public async Task<DnsAnswer?> ExchangeAsync(IPEndPoint server, byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout)
    {
        // Not connected: the first send binds a random ephemeral port, and the source of every
        // datagram is checked here instead (saves a connect per query).
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var cts = new CancellationTokenSource(timeout);
        SocketAddress serverAddress = server.Serialize();
        var from = new SocketAddress(server.AddressFamily);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(AnswerBufferSize);
        try
        {
            socket.SendTo(query, SocketFlags.None, serverAddress);
            while (true)
            {
                int received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cts.Token).ConfigureAwait(false);
                if (from.Equals(serverAddress) && received >= DnsHeader.Size && DnsHeader.ReadId(buffer) == id
                    && DnsAnswer.TryParse(buffer.AsSpan(0, received), name, type, @class) is { } answer)
                {
                    return answer;
                }

                // From someone else, wrong ID or wrong question: stale or spoofed. Keep waiting for ours.
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
            return null; // e.g. ICMP port unreachable from a server that is down
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
