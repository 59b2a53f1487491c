using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.TestKit;

/// <summary>
/// An in-process upstream DNS server on 127.0.0.1 (UDP and TCP on the same port). By default it
/// answers A with 192.0.2.1 and AAAA with 2001:db8::1 (TTL 300), NODATA otherwise; a test swaps in
/// its own <see cref="Handler"/>. Every query it receives is recorded.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly UdpClient _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    /// <param name="address">The loopback address to listen on.</param>
    /// <param name="port">0 for a free port; a given one to come back where a stopped upstream was (an upstream that recovers).</param>
    public FakeUpstream(string address = "127.0.0.1", int port = 0)
    {
        int wanted = port;
        for (int attempt = 0; ; attempt++)
        {
            var udp = new UdpClient(new IPEndPoint(IPAddress.Parse(address), wanted));
            port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
            try
            {
                var tcp = new TcpListener(IPAddress.Parse(address), port);
                tcp.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Start();
                _udp = udp;
                _tcp = tcp;
                EndPoint = new IPEndPoint(IPAddress.Parse(address), port);
                break;
            }
            catch (SocketException) when (attempt < 20 && wanted == 0)
            {
                udp.Dispose();
            }
        }

        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>"127.0.0.1:port", as the daemon's config takes it.</summary>
    public string Address => $"{EndPoint.Address}:{EndPoint.Port}";

    public Func<FakeQuery, FakeReply> Handler { get; set; } = DefaultAnswer;

    public ConcurrentQueue<FakeQuery> Received { get; } = new();

    public int Count => Received.Count;

    public static FakeReply DefaultAnswer(FakeQuery query)
    {
        RawMessage response = RawMessage.ResponseTo(query.Raw);
        if (query.Type == 1)
        {
            response.A(null, 300, "192.0.2.1");
        }
        else if (query.Type == 28)
        {
            response.Aaaa(null, 300, "2001:db8::1");
        }
        else
        {
            response.Soa("example", 300, 300);
        }

        if (query.HasEdns)
        {
            response.Opt(dnssecOk: query.DnssecOk);
        }

        return response.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // loops end with their sockets
        }

        _stop.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = RespondUdpAsync(received);
        }
    }

    private async Task RespondUdpAsync(UdpReceiveResult received)
    {
        var query = FakeQuery.Parse(received.Buffer, tcp: false, received.RemoteEndPoint);
        Received.Enqueue(query);
        FakeReply reply = Handler(query);
        if (reply.Bytes is null)
        {
            return;
        }

        if (reply.Delay > TimeSpan.Zero)
        {
            await Task.Delay(reply.Delay);
        }

        try
        {
            foreach (byte[] before in reply.Before ?? [])
            {
                await _udp.SendAsync(before, received.RemoteEndPoint, _stop.Token);
            }

            await _udp.SendAsync(reply.Bytes, received.RemoteEndPoint, _stop.Token);
        }
        catch (Exception)
        {
            // the asker is gone
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = ServeTcpAsync(client);
        }
    }

    private async Task ServeTcpAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                byte[] prefix = new byte[2];
                while (true)
                {
                    await stream.ReadExactlyAsync(prefix, _stop.Token);
                    byte[] message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    await stream.ReadExactlyAsync(message, _stop.Token);
                    var query = FakeQuery.Parse(message, tcp: true, (IPEndPoint)client.Client.RemoteEndPoint!);
                    Received.Enqueue(query);
                    FakeReply reply = Handler(query);
                    if (reply.Bytes is null)
                    {
                        continue;
                    }

                    if (reply.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(reply.Delay);
                    }

                    byte[] framed = new byte[reply.Bytes.Length + 2];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Bytes.Length);
                    reply.Bytes.CopyTo(framed, 2);
                    await stream.WriteAsync(framed, _stop.Token);
                }
            }
            catch (Exception)
            {
                // client closed or we are stopping
            }
        }
    }
}
