using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Plain DNS to one server: UDP from a fresh socket per attempt (a fresh random source port and
/// ID), and, when the answer is truncated, the same question again over a fresh TCP connection
/// within what is left of the attempt's time.
/// </summary>
public sealed class PlainUpstream : IUpstream
{
    private readonly IUdpExchange _udp;
    private readonly IPEndPoint _endPoint;

    public PlainUpstream(UpstreamServer server, IUdpExchange udp)
    {
        Server = server;
        _endPoint = server.EndPoint ?? throw new ArgumentException("a plain upstream is an address", nameof(server));
        _udp = udp;
    }

    public UpstreamServer Server { get; }

    public async Task<DnsAnswer?> ExchangeAsync(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        ushort id = UpstreamQuery.NewId();
        byte[] query = UpstreamQuery.Build(id, name, type, @class, dnssecOk, checkingDisabled);
        DnsAnswer? answer = await _udp.ExchangeAsync(_endPoint, query, id, name, type, @class, timeout).ConfigureAwait(false);
        if (answer is not { Truncated: true })
        {
            return answer;
        }

        TimeSpan left = timeout - Stopwatch.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            return null;
        }

        id = UpstreamQuery.NewId();
        query = UpstreamQuery.Build(id, name, type, @class, dnssecOk, checkingDisabled);
        return await ExchangeTcpAsync(query, id, name, type, @class, left).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => default;

    private async Task<DnsAnswer?> ExchangeTcpAsync(byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout)
    {
        using var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(_endPoint, cts.Token).ConfigureAwait(false);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None, cts.Token).ConfigureAwait(false);
        byte[] prefix = new byte[2];
        await ReceiveExactlyAsync(socket, prefix, cts.Token).ConfigureAwait(false);
        byte[] buffer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReceiveExactlyAsync(socket, buffer, cts.Token).ConfigureAwait(false);
        return buffer.Length >= DnsHeader.Size && DnsHeader.ReadId(buffer) == id
            ? DnsAnswer.TryParse(buffer, name, type, @class)
            : null;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            buffer = buffer[read..];
        }
    }
}
