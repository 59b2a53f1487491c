using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// What one TCP client can hold, over real sockets: connections per client, the idle timer
/// counting whole messages, and answers piling up for a client that never reads.
/// </summary>
[TestClass]
public sealed class TcpLimitsTests
{
    [TestMethod]
    public async Task Stranger_IsClosedAtAccept_BeforeAnyQueryIsRead()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Set("Dns:AllowedClients:0", "127.0.0.2/32").Values);

        using var stranger = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
        await stranger.ConnectAsync(daemon.EndPoint);
        byte[]? answer = await TryQueryAsync(stranger.GetStream(), RawMessage.Query("stranger.example", 1));
        DigResult member = await Dig.RunAsync(daemon.EndPoint, "+tcp", "-b", "127.0.0.2", "member.example", "A");

        Assert.IsNull(answer, "no REFUSED frame: the connection was closed before anything was read");
        for (var deadline = DateTime.UtcNow.AddSeconds(5); daemon.Server.TcpConnections > 0; await Task.Delay(10))
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, "no connection is left held once dig's has closed"); // dig's closes asynchronously
        }

        Assert.AreEqual("NOERROR", member.Status, member.Output);
    }

    [TestMethod]
    public async Task PerClientCap_ClosesConnectionsPastIt_WhileOtherClientsAreServed()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .Set("Dns:TcpMaxConnectionsPerClient", "2").Set("RateLimit:Exempt", "").Values);
        IPAddress greedy = IPAddress.Parse("127.0.0.2");

        using var first = new TcpClient(new IPEndPoint(greedy, 0));
        await first.ConnectAsync(daemon.EndPoint);
        using var second = new TcpClient(new IPEndPoint(greedy, 0));
        await second.ConnectAsync(daemon.EndPoint);
        await WaitForConnectionsAsync(daemon, 2);
        using var third = new TcpClient(new IPEndPoint(greedy, 0));
        await third.ConnectAsync(daemon.EndPoint);
        byte[]? overCap = await TryQueryAsync(third.GetStream(), RawMessage.Query("third.example", 1));
        DigResult other = await Dig.RunAsync(daemon.EndPoint, "+tcp", "-b", "127.0.0.3", "other.example", "A");
        byte[]? held = await TryQueryAsync(first.GetStream(), RawMessage.Query("first.example", 1));

        Assert.IsNull(overCap, "the client's third connection is closed");
        Assert.AreEqual("NOERROR", other.Status, other.Output);
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(held).ReturnCode, "the connections within the cap are served");
    }

    [TestMethod]
    public async Task IdleTimer_CountsWholeMessages_SoADrippingClientLosesItsSlot()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Set("Dns:TcpIdleTimeout", "1s").Values);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(daemon.EndPoint);
        NetworkStream stream = client.GetStream();
        byte[] framed = RawClient.Frame(RawMessage.Query("drip.example", 1, id: 55));

        // A byte at a time, each after waiting up to 300 ms for the server to close: well inside
        // the idle timeout each, but the whole message would take about 10 s.
        int sent = 0;
        bool closed = false;
        while (!closed && sent < framed.Length)
        {
            await stream.WriteAsync(framed.AsMemory(sent++, 1));
            closed = await ClosedWithinAsync(stream, TimeSpan.FromMilliseconds(300));
        }

        Assert.IsTrue(closed, "the server closes a connection that sends no whole message within the idle timeout, however often a byte arrives");
        Assert.IsLessThan(framed.Length, sent, "closed before the message was complete");
    }

    [TestMethod]
    public async Task ClientThatNeverReads_IsClosedOnceItsAnswersPileUpPastTheWriteBuffer()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            RawMessage response = RawMessage.ResponseTo(q.Raw);
            for (int i = 0; i < 60; i++)
            {
                response.Txt(null, 300, new string('z', 250));
            }

            return response.ToArray(); // about 15 KB, over TCP
        };
        // An idle timeout far longer than the test: only the write-buffer bound can close the connection in time.
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .Set("Dns:TcpIdleTimeout", "10m").Set("Dns:TcpMaxPipelined", "64").Values);
        using var hog = new TcpClient { ReceiveBufferSize = 4096 };
        await hog.ConnectAsync(daemon.EndPoint);
        byte[] batch = [.. Enumerable.Range(0, 400).SelectMany(i => RawClient.Frame(RawMessage.Query($"big{i % 5}.example", 16, id: (ushort)i)))];
        await hog.GetStream().WriteAsync(batch);

        for (var deadline = DateTime.UtcNow.AddSeconds(30); daemon.Server.TcpConnections > 0; await Task.Delay(20))
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, "the connection of a client that never reads is still open");
        }

        DigResult after = await Dig.RunAsync(daemon.EndPoint, "+tcp", "after.example", "A");
        Assert.AreEqual("NOERROR", after.Status, after.Output);
    }

    /// <summary>Sends a query and reads its answer; null when the server closed the connection instead.</summary>
    private static async Task<byte[]?> TryQueryAsync(NetworkStream stream, byte[] query)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await stream.WriteAsync(RawClient.Frame(query), cts.Token);
            return await RawClient.ReadFrameAsync(stream, cts.Token);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return null;
        }
    }

    /// <summary>True when the server closed the connection within <paramref name="wait"/>.</summary>
    private static async Task<bool> ClosedWithinAsync(NetworkStream stream, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await stream.ReadAsync(new byte[1], cts.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    private static async Task WaitForConnectionsAsync(RunningDaemon daemon, int count)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(5); daemon.Server.TcpConnections < count; await Task.Delay(10))
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"the server never held {count} TCP connections");
        }
    }
}
