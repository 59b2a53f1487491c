using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

[TestClass]
public sealed class UdpTcpServingTests
{
    [TestMethod]
    public async Task Dig_OverUdpAndTcp_GetsTheUpstreamAnswer()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);

        DigResult udp = await Dig.RunAsync(daemon.EndPoint, "www.example.org", "A");
        DigResult tcp = await Dig.RunAsync(daemon.EndPoint, "+tcp", "www.example.com", "AAAA");

        Assert.AreEqual("NOERROR", udp.Status, udp.Output);
        Assert.AreEqual("www.example.org. 300 IN A 192.0.2.1", udp.Answers.Single());
        Assert.AreEqual("NOERROR", tcp.Status, tcp.Output);
        Assert.AreEqual("www.example.com. 300 IN AAAA 2001:db8::1", tcp.Answers.Single());
        Assert.Contains("(TCP)", tcp.Output);
    }

    [TestMethod]
    public async Task Ipv6Listener_Answers()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Inconclusive("no IPv6 on this host");
        }

        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Set("Dns:Listen:0", "[::1]:0").Upstream(upstream.Address).Values);

        DigResult udp = await Dig.RunAsync(daemon.EndPoint, "v6.example.org", "A");
        DigResult tcp = await Dig.RunAsync(daemon.EndPoint, "+tcp", "v6.example.org", "A");

        Assert.AreEqual(AddressFamily.InterNetworkV6, daemon.EndPoint.AddressFamily);
        Assert.AreEqual("v6.example.org. 300 IN A 192.0.2.1", udp.Answers.Single(), udp.Output);
        Assert.AreEqual("NOERROR", tcp.Status, tcp.Output);
    }

    [TestMethod]
    public async Task WildcardListener_RepliesFromTheAddressTheQueryWasSentTo()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Set("Dns:Listen:0", "0.0.0.0:0").Upstream(upstream.Address).Values);
        int port = daemon.EndPoint.Port;

        foreach (string local in new[] { "127.0.0.2", "127.0.0.3", "127.0.0.1" })
        {
            // Blocked-free local answer path (FORMERR needs no upstream) and the forwarded path.
            var target = new IPEndPoint(IPAddress.Parse(local), port);
            (byte[] Answer, IPEndPoint From)? reply = await RawClient.UdpWithSourceAsync(target, RawMessage.Query("example.org", 1), IPAddress.Loopback);
            Assert.IsNotNull(reply, $"no reply via {local}");
            Assert.AreEqual(IPAddress.Parse(local), reply.Value.From.Address, "reply must leave from the address the query was sent to");
            Assert.AreEqual(port, reply.Value.From.Port);
        }

        DigResult dig = await Dig.RunAsync(new IPEndPoint(IPAddress.Parse("127.0.0.5"), port), "example.net", "A");
        Assert.AreEqual("NOERROR", dig.Status, dig.Output + dig.Error);
    }

    [TestMethod]
    public async Task Ipv6WildcardListener_RepliesFromTheAddressTheQueryWasSentTo()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Inconclusive("no IPv6 on this host");
        }

        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Set("Dns:Listen:0", "[::]:0").Upstream(upstream.Address).Values);

        (byte[] Answer, IPEndPoint From)? reply = await RawClient.UdpWithSourceAsync(
            new IPEndPoint(IPAddress.IPv6Loopback, daemon.EndPoint.Port), RawMessage.Query("v6wild.example", 1), IPAddress.IPv6Loopback);

        Assert.IsNotNull(reply);
        Assert.AreEqual(IPAddress.IPv6Loopback, reply.Value.From.Address, "in6_pktinfo: the reply leaves from ::1");
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(reply.Value.Answer).ReturnCode);
    }

    [TestMethod]
    public async Task Tcp_PipelinedQueriesInOneWrite_AreAllAnswered()
    {
        await using var upstream = new FakeUpstream();
        // The first name is slow upstream, so its answer comes after the others (out of order is allowed).
        upstream.Handler = q => q.Name == "slow.example" ? new FakeReply(FakeUpstream.DefaultAnswer(q).Bytes, TimeSpan.FromMilliseconds(300)) : FakeUpstream.DefaultAnswer(q);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);

        using var client = new TcpClient();
        await client.ConnectAsync(daemon.EndPoint);
        NetworkStream stream = client.GetStream();
        byte[] batch =
        [
            .. RawClient.Frame(RawMessage.Query("slow.example", 1, id: 1)),
            .. RawClient.Frame(RawMessage.Query("a.example", 1, id: 2)),
            .. RawClient.Frame(RawMessage.Query("b.example", 28, id: 3)),
        ];
        await stream.WriteAsync(batch);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var ids = new List<ushort>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(Wire.Parse(await RawClient.ReadFrameAsync(stream, cts.Token)).TransactionID);
        }

        CollectionAssert.AreEquivalent(new ushort[] { 1, 2, 3 }, ids);
        Assert.AreEqual((ushort)1, ids[^1], "the slow answer should not hold back the others");
    }

    [TestMethod]
    public async Task Tcp_LengthPrefixSplitAcrossSegments_IsReassembled()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(daemon.EndPoint);
        NetworkStream stream = client.GetStream();
        byte[] framed = RawClient.Frame(RawMessage.Query("split.example", 1, id: 77));

        await stream.WriteAsync(framed.AsMemory(0, 1));
        await stream.FlushAsync();
        await Task.Delay(150);
        await stream.WriteAsync(framed.AsMemory(1, 5));
        await Task.Delay(150);
        await stream.WriteAsync(framed.AsMemory(6));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        DnsMessage answer = Wire.Parse(await RawClient.ReadFrameAsync(stream, cts.Token));
        Assert.AreEqual((ushort)77, answer.TransactionID);
        Assert.AreEqual(ReturnCode.NoError, answer.ReturnCode);
    }

    [TestMethod]
    public async Task Tcp_IdleConnection_IsClosedAfterTheIdleTimeout()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Set("Dns:TcpIdleTimeout", "700ms").Values);
        using var client = new TcpClient();
        await client.ConnectAsync(daemon.EndPoint);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(RawClient.Frame(RawMessage.Query("idle.example", 1)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.IsNotNull(await RawClient.ReadFrameAsync(stream, cts.Token));

        var buffer = new byte[1];
        int read = await stream.ReadAsync(buffer, cts.Token); // returns 0 when the server closes

        Assert.AreEqual(0, read);
        Assert.IsFalse(cts.IsCancellationRequested, "the server should close the idle connection well before 10 s");
    }

    [TestMethod]
    public async Task Tcp_ClientsThatNeverRead_CannotTakeTheContextsUdpAnswersWith()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            if (!q.Name.StartsWith("big", StringComparison.Ordinal))
            {
                return FakeUpstream.DefaultAnswer(q);
            }

            if (!q.Tcp)
            {
                return RawMessage.ResponseTo(q.Raw, truncated: true).ToArray();
            }

            RawMessage response = RawMessage.ResponseTo(q.Raw);
            for (int i = 0; i < 60; i++)
            {
                response.Txt(null, 300, new string('z', 250));
            }

            return response.ToArray();
        };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream.Address)
            .Set("Dns:MaxInFlight", "16")
            .Set("Dns:TcpMaxPipelined", "64")
            .Values);

        // Two clients ask for 15 KB answers 1000 times each and never read: the socket buffers
        // (a few MB on loopback) fill and the daemon's writes stall.
        var hogs = new List<TcpClient>();
        for (int c = 0; c < 2; c++)
        {
            var hog = new TcpClient { ReceiveBufferSize = 1024 };
            await hog.ConnectAsync(daemon.EndPoint);
            byte[] batch = [.. Enumerable.Range(0, 1000).SelectMany(i => RawClient.Frame(RawMessage.Query($"big{i % 5}.example", 16, id: (ushort)i)))];
            await hog.GetStream().WriteAsync(batch);
            hogs.Add(hog);
        }

        // Stalled: the daemon has answered TCP queries and answers no more (its writes wait on the full buffers).
        using var queries = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.dns.queries");
        long answered = 0;
        for (int unchanged = 0, polls = 0; answered == 0 || unchanged < 5; polls++, await Task.Delay(50))
        {
            Assert.IsLessThan(200, polls, $"the TCP answers never stalled ({answered} answered)");
            queries.RecordObservableInstruments();
            long now = queries.GetMeasurementSnapshot(clear: true).Where(m => (string?)m.Tags["transport"] == "tcp").Sum(m => m.Value);
            unchanged = now == answered ? unchanged + 1 : 0;
            answered = now;
        }

        // Several forwarded UDP queries in a row (each receive thread keeps one spare context,
        // so a single query would get through even with the shared contexts all taken).
        for (int i = 0; i < 4; i++)
        {
            byte[]? udp = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"udp-{i}.example", 1, edns: true), TimeSpan.FromSeconds(2));
            Assert.IsNotNull(udp, $"UDP query {i} must still be answered while TCP clients stall");
            Assert.AreEqual(ReturnCode.NoError, Wire.Parse(udp).ReturnCode);
        }

        hogs.ForEach(h => h.Dispose());
    }

    [TestMethod]
    public async Task Tcp_ConnectionCapAndStalledClients_NeverBlockUdpOrNewClients()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Set("Dns:TcpMaxConnections", "2").Values);

        // Two stalled clients: one sends half a length prefix, one sends nothing.
        using var stalled1 = new TcpClient();
        await stalled1.ConnectAsync(daemon.EndPoint);
        await stalled1.GetStream().WriteAsync(new byte[] { 0 });
        using var stalled2 = new TcpClient();
        await stalled2.ConnectAsync(daemon.EndPoint);
        await WaitForConnectionsAsync(daemon, 2);

        // UDP still answers while both TCP slots are held.
        DnsMessage udp = Wire.Parse(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("udp.example", 1)));
        Assert.AreEqual(ReturnCode.NoError, udp.ReturnCode);

        // A third TCP client is over the cap: the server closes it.
        using var third = new TcpClient();
        await third.ConnectAsync(daemon.EndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        int read = await third.GetStream().ReadAsync(new byte[1], cts.Token);
        Assert.AreEqual(0, read, "connections over the cap are closed");

        // Once a stalled client leaves, a new client is served (as soon as the server has seen it go).
        stalled2.Dispose();
        byte[]? answer = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(5); answer is null && DateTime.UtcNow < deadline;)
        {
            answer = await TryTcpAsync(daemon.EndPoint, RawMessage.Query("tcp.example", 1));
        }

        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(answer).ReturnCode);
    }

    /// <summary>A TCP query, or null when the server closed the connection (over its cap).</summary>
    private static async Task<byte[]?> TryTcpAsync(System.Net.IPEndPoint server, byte[] query)
    {
        try
        {
            return await RawClient.TcpAsync(server, query);
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException)
        {
            return null;
        }
    }

    /// <summary>Polls until the TCP listener holds <paramref name="count"/> connections.</summary>
    private static async Task WaitForConnectionsAsync(RunningDaemon daemon, int count)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(5); daemon.Server.TcpConnections < count; await Task.Delay(10))
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"the server never held {count} TCP connections");
        }
    }
}
