using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>The portable exchange on .NET sockets (used where <see cref="EpollUdpExchange"/> is not available).</summary>
public sealed class SocketUdpExchange : IUdpExchange
{
    /// <summary>
    /// We advertise a 1232-byte EDNS size; 4 KiB leaves room for servers that ignore it. A larger
    /// answer is noticed as cut and read as truncated (retried over TCP), not left to time out.
    /// </summary>
    public const int AnswerBufferSize = 4096;

    public async Task<DnsAnswer?> ExchangeAsync(IPEndPoint server, byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout)
    {
        // Not connected: the first send binds a random ephemeral port, and the source of every
        // datagram is checked here instead (saves a connect per query).
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var cts = new CancellationTokenSource(timeout);
        SocketAddress serverAddress = server.Serialize();
        var from = new SocketAddress(server.AddressFamily);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(AnswerBufferSize + 1);
        try
        {
            socket.SendTo(query, SocketFlags.None, serverAddress);
            while (true)
            {
                // One byte more than an answer may have: a datagram that fills it was cut by the kernel.
                int received = await socket.ReceiveFromAsync(buffer.AsMemory(0, AnswerBufferSize + 1), SocketFlags.None, from, cts.Token).ConfigureAwait(false);
                if (from.Equals(serverAddress) && received >= DnsHeader.Size && DnsHeader.ReadId(buffer) == id
                    && (received > AnswerBufferSize
                        ? CutAnswer.Parse(buffer.AsSpan(0, AnswerBufferSize), name, type, @class)
                        : DnsAnswer.TryParse(buffer.AsSpan(0, received), name, type, @class)) is { } answer)
                {
                    return answer; // a cut one reads as truncated: the resolver asks again over TCP
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
