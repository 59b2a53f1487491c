using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Forwarding to upstreams: IDs, ports, validation, TCP fallback, failover, dedup.</summary>
[TestClass]
public sealed class ForwardingTests
{
    [TestMethod]
    public async Task UpstreamQueries_UseFreshRandomIdsAndSourcePorts_NotTheClients()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        for (int i = 0; i < 12; i++)
        {
            await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"n{i}.example", 1, id: 0x1111));
        }

        FakeQuery[] seen = [.. upstream.Received];
        Assert.HasCount(12, seen);
        Assert.IsFalse(seen.Any(q => q.Id == 0x1111), "the client's ID must never be reused upstream");
        Assert.IsGreaterThan(10, seen.Select(q => q.Id).Distinct().Count());
        Assert.IsGreaterThan(10, seen.Select(q => q.From.Port).Distinct().Count(), "each upstream query from its own source port");
        Assert.IsTrue(seen.All(q => string.Equals(q.Name, q.Name.ToLowerInvariant(), StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task UpstreamAnswer_WithWrongIdOrQuestion_IsIgnored()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            byte[] wrongId = RawMessage.ResponseTo(q.Raw, id: (ushort)(q.Id ^ 0x5555)).A(null, 300, "203.0.113.66").ToArray();
            byte[] wrongQuestion = RawMessage.Header(q.Id, 0x8180).Question("other.example", 1).A(null, 300, "203.0.113.67").ToArray();
            byte[] right = RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.7").ToArray();
            return new FakeReply(right, TimeSpan.FromMilliseconds(50), Before: [wrongId, wrongQuestion]);
        };
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "spoof.example", "A");

        Assert.AreEqual("spoof.example. 300 IN A 192.0.2.7", dig.Answers.Single(), dig.Output);
    }

    [TestMethod]
    public async Task UpstreamAnswer_FromAnotherAddressOrPort_IsIgnored()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            // A perfect forgery (right ID, right question) from another port, before the real answer.
            using var spoofer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            spoofer.Send(RawMessage.ResponseTo(q.Raw).A(null, 300, "203.0.113.68").ToArray(), q.From);
            return new FakeReply(RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.8").ToArray(), TimeSpan.FromMilliseconds(100));
        };
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "forged.example", "A");

        Assert.AreEqual("forged.example. 300 IN A 192.0.2.8", dig.Answers.Single(), dig.Output);
    }

    [TestMethod]
    public async Task UpstreamTruncatedAnswer_IsRetriedOverTcp()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Tcp
            ? RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.10").A(null, 300, "192.0.2.11").ToArray()
            : RawMessage.ResponseTo(q.Raw, truncated: true).ToArray();
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "tc.example", "A");

        Assert.HasCount(2, dig.Answers, dig.Output);
        Assert.IsTrue(upstream.Received.Any(q => q.Tcp && q.Name == "tc.example"));
        Assert.DoesNotContain("tc", dig.Flags.Split(' '));
    }

    [TestMethod]
    public async Task UpstreamUdpAnswerLargerThanTheReceiveBuffer_IsReadAsTruncated_AndRetriedOverTcp()
    {
        // About 6 KB over UDP (a server that ignores our 1232-byte EDNS size), past the 4 KiB
        // receive buffer: the kernel cuts it. Over TCP the same records arrive whole.
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            RawMessage response = RawMessage.ResponseTo(q.Raw);
            for (int i = 0; i < 24; i++)
            {
                response.Txt(null, 300, $"{i:D2}" + new string('h', 248));
            }

            return response.ToArray();
        };
        // One server and an attempt budget longer than dig waits: a cut answer left to time out would be a SERVFAIL or no answer.
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .Set("Upstreams:AttemptTimeout", "20s").Set("Upstreams:Timeout", "20s").Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "+tcp", "huge.example", "TXT");

        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.HasCount(24, dig.Answers, dig.Output);
        Assert.IsTrue(upstream.Received.Any(q => q.Tcp && q.Name == "huge.example"), "retried over TCP");
    }

    [TestMethod]
    public async Task Failover_TimeoutOrServfailOnFirst_UsesTheNext()
    {
        await using var silent = new FakeUpstream();
        silent.Handler = _ => FakeReply.Drop;
        await using var failing = new FakeUpstream();
        failing.Handler = q => RawMessage.ResponseTo(q.Raw, rcode: 2).ToArray();
        await using var good = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(silent.Address, failing.Address, good.Address)
            .Set("Upstreams:AttemptTimeout", "400ms")
            .Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "failover.example", "A");

        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.AreEqual(1, silent.Count);
        Assert.AreEqual(1, failing.Count);
        Assert.AreEqual(1, good.Count);
    }

    [TestMethod]
    public async Task Failover_ExtendedRcodeFromUpstream_CountsAsFailure()
    {
        await using var badVers = new FakeUpstream();
        badVers.Handler = q =>
        {
            byte[] answer = RawMessage.ResponseTo(q.Raw).Opt().ToArray();
            answer[^6] = 1; // extended RCODE 16 (BADVERS): header RCODE 0, OPT upper bits 1
            return answer;
        };
        await using var good = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(badVers.Address, good.Address).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "ext.example", "A");

        Assert.AreEqual("ext.example. 300 IN A 192.0.2.1", dig.Answers.Single(), dig.Output);
        Assert.AreEqual(1, badVers.Count);
    }

    [TestMethod]
    public async Task UpstreamTcpAnswerTooLargeForOneMessage_GetsServfail()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            if (!q.Tcp)
            {
                return RawMessage.ResponseTo(q.Raw, truncated: true).Opt().ToArray();
            }

            RawMessage response = RawMessage.ResponseTo(q.Raw);
            while (response.ToArray().Length < 65300)
            {
                response.Txt(null, 60, new string('x', 200));
            }

            return response.Txt(null, 60, new string('y', 65530 - response.ToArray().Length - 13)).ToArray();
        };
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        byte[]? answer = await RawClient.TcpAsync(daemon.EndPoint, RawMessage.Query("huge.example", 16, edns: true), TimeSpan.FromSeconds(5));

        Assert.AreEqual(ReturnCode.ServerFailure, Wire.Parse(answer).ReturnCode, "65530 bytes + our OPT cannot be framed; never a wrapped length prefix");
    }

    [TestMethod]
    public async Task AllUpstreamsFail_ClientGetsServfailWithinTheBudget()
    {
        await using var silent = new FakeUpstream();
        silent.Handler = _ => FakeReply.Drop;
        await using var silent2 = new FakeUpstream();
        silent2.Handler = _ => FakeReply.Drop;
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(silent.Address, silent2.Address).Values);

        var stopwatch = Stopwatch.StartNew();
        byte[]? answer = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("dead.example", 1), TimeSpan.FromSeconds(5));
        stopwatch.Stop();

        Assert.AreEqual(ReturnCode.ServerFailure, Wire.Parse(answer).ReturnCode);
        Assert.AreEqual(1, silent2.Count, "the second server was tried after the first timed out");
        Assert.IsLessThan(TimeSpan.FromSeconds(3), stopwatch.Elapsed, "SERVFAIL must come within the ~2 s budget, not after the client gave up");
    }

    [TestMethod]
    public async Task IdenticalQueriesInFlight_ShareOneUpstreamQuery()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => new FakeReply(FakeUpstream.DefaultAnswer(q).Bytes, TimeSpan.FromMilliseconds(400));
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        Task<byte[]?>[] clients = [.. Enumerable.Range(0, 6).Select(i => RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("Same.Example", 1, id: (ushort)(100 + i))))];
        byte[]?[] answers = await Task.WhenAll(clients);

        Assert.AreEqual(1, upstream.Count);
        for (int i = 0; i < answers.Length; i++)
        {
            DnsMessage answer = Wire.Parse(answers[i]);
            Assert.AreEqual((ushort)(100 + i), answer.TransactionID);
            Assert.HasCount(1, answer.AnswerRecords);
        }
    }

    [TestMethod]
    public async Task CheckingDisabled_IsCopiedUpstream()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream.Address);

        await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("cd.example", 1, checkingDisabled: true));
        await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("nocd.example", 1));

        Assert.IsTrue(upstream.Received.Single(q => q.Name == "cd.example").CheckingDisabled);
        Assert.IsFalse(upstream.Received.Single(q => q.Name == "nocd.example").CheckingDisabled);
    }

    internal static Task<RunningDaemon> StartAsync(string upstream, int cacheEntries = 1000) =>
        RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream)
            .Set("Cache:MaxEntries", cacheEntries.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Values);
}
