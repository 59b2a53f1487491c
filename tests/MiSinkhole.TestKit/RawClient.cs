using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.TestKit;

/// <summary>Sends raw queries over real sockets and returns the raw answer (null on timeout).</summary>
public static class RawClient
{
    public static async Task<byte[]?> UdpAsync(IPEndPoint server, byte[] query, TimeSpan? timeout = null, IPAddress? from = null)
    {
        using var udp = new UdpClient(new IPEndPoint(from ?? IPAddress.Loopback, 0));
        await udp.SendAsync(query, server);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(3));
        try
        {
            UdpReceiveResult result = await udp.ReceiveAsync(cts.Token);
            return result.Buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Same, also returning the address the answer came from.</summary>
    public static async Task<(byte[] Answer, IPEndPoint From)?> UdpWithSourceAsync(IPEndPoint server, byte[] query, IPAddress from, TimeSpan? timeout = null)
    {
        using var udp = new UdpClient(new IPEndPoint(from, 0));
        await udp.SendAsync(query, server);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(3));
        try
        {
            UdpReceiveResult result = await udp.ReceiveAsync(cts.Token);
            return (result.Buffer, result.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public static async Task<byte[]?> TcpAsync(IPEndPoint server, byte[] query, TimeSpan? timeout = null)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(3));
        await client.ConnectAsync(server, cts.Token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Frame(query), cts.Token);
        return await ReadFrameAsync(stream, cts.Token);
    }

    public static byte[] Frame(byte[] message)
    {
        byte[] framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        return framed;
    }

    public static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken token)
    {
        byte[] prefix = new byte[2];
        try
        {
            await stream.ReadExactlyAsync(prefix, token);
            byte[] message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
            await stream.ReadExactlyAsync(message, token);
            return message;
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }
}
