using System.Buffers.Binary;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Upstreams;

/// <summary>
/// DNS over HTTPS through the daemon: to the real unbound (<c>https-port</c>, HTTP/2) in front of a
/// fake authoritative, and to a DoH server of our own that records what arrives on the wire (ID 0,
/// HTTP/2) and can answer too much.
/// </summary>
[TestClass]
public sealed class DohTests
{
    [TestMethod]
    public async Task Query_OverDoh_GetsTheAuthoritativesAnswer_OnOneReusedConnection()
    {
        await using var setup = new TlsUpstreamSetup();
        setup.Authoritative.Handler = q => RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.88").ToArray();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.HttpsUpstream()).Values);
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        using var reuses = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connection_reuses");

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "doh.example", "A");
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, $"doh-{i}.example", "A")).Status);
        }

        Assert.AreEqual("doh.example. 300 IN A 192.0.2.88", dig.Answers.Single(), dig.Output);
        Assert.AreEqual(5, await unbound.StatAsync("num.query.https"), "the queries reached unbound over DoH");
        Assert.AreEqual(1, TlsUpstreamSetup.Sum(connections));
        Assert.AreEqual(4, TlsUpstreamSetup.Sum(reuses));
    }

    [TestMethod]
    public async Task RestartedUpstream_IsReconnected()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.HttpsUpstream()).Values);
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "before.example", "A")).Status);

        await unbound.RestartAsync();
        DigResult after = await Dig.RunAsync(daemon.EndPoint, "after.example", "A");

        Assert.AreEqual("NOERROR", after.Status, after.Output);
        Assert.AreEqual(2, TlsUpstreamSetup.Sum(connections), "the dead connection was replaced");
    }

    [TestMethod]
    public async Task PooledConnectionDyingUnderAQuery_CostsOneRetry()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        Func<byte[], byte[]?> answer = doh.Handler;
        int killed = 0;
        doh.Handler = query => QueryName(query) == "dying.example"
            && Interlocked.Exchange(ref killed, 1) == 0 ? null : answer(query);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);
        using var retries = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.retries");
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "pooled.example", "A")).Status);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "dying.example", "A");

        Assert.AreEqual("dying.example. 300 IN A 192.0.2.1", dig.Answers.SingleOrDefault(), dig.Output);
        Assert.AreEqual(1, TlsUpstreamSetup.Sum(retries, "dead", tag: "reason"));
        Assert.AreEqual(2, TlsUpstreamSetup.Sum(connections), "asked again on a fresh connection");
        Assert.AreEqual(3, doh.Received.Count);
    }

    [TestMethod]
    public async Task WrongName_IsRefused()
    {
        await using var setup = new TlsUpstreamSetup();
        ServerCertificate other = setup.Certificates.Issue("other", ["other.test"], []);
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, other);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.HttpsUpstream()).Values);
        using var handshakes = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.tls_handshakes");

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "wrong.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.IsGreaterThan(0, TlsUpstreamSetup.Sum(handshakes, "failed"), "refused at the handshake");
        Assert.AreEqual(0, TlsUpstreamSetup.Sum(handshakes, "ok"));
        Assert.AreEqual(0, await unbound.StatAsync("num.query.https"));
        Assert.IsFalse(setup.Authoritative.Received.Any(q => q.Name == "wrong.example"));
    }

    [TestMethod]
    public async Task Queries_GoOutWithIdZero_OverHttp2_AndTheClientGetsItsOwnId()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);

        byte[]? answer = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("id.example", 1, id: 0x4242));

        Assert.IsNotNull(answer);
        Assert.AreEqual(0x4242, BinaryPrimitives.ReadUInt16BigEndian(answer), "the client's ID is put back");
        Assert.AreEqual(0, answer[3] & 0x0F);
        byte[] wire = doh.Received.Single();
        Assert.AreEqual(0, BinaryPrimitives.ReadUInt16BigEndian(wire), "RFC 8484: ID 0 on the wire");
        Assert.AreEqual("HTTP/2", doh.Protocols.Single());
        Assert.AreEqual(0, wire.Length % 128, "padded to a multiple of 128 bytes (RFC 8467)");
        ARSoft.Tools.Net.Dns.DnsMessage parsed = ARSoft.Tools.Net.Dns.DnsMessage.Parse(wire);
        Assert.IsTrue(parsed.IsEDnsEnabled);
        Assert.AreEqual("id.example", parsed.Questions.Single().Name.ToString().TrimEnd('.'), "a valid message, as an independent decoder reads it");
    }

    [TestMethod]
    public async Task AnswerLargerThanADnsMessage_IsRefused()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        doh.Handler = query =>
        {
            byte[] right = RawMessage.ResponseTo(query).A(null, 300, "192.0.2.99").ToArray();
            byte[] huge = new byte[70_000];
            right.CopyTo(huge, 0);
            return huge; // a valid message followed by junk: past 65,535 bytes
        };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "huge.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.HasCount(1, doh.Received, "asked once, the answer refused");
    }

    [TestMethod]
    public async Task SilentPooledConnection_CostsOneRetry_NotATimeout()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        int hung = 0;
        doh.Hang = query => QueryName(query) == "silent.example"
            && Interlocked.Exchange(ref hung, 1) == 0;
        // One upstream only: a query left to time out would be a SERVFAIL.
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);
        using var retries = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.retries");
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "pooled.example", "A")).Status);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "silent.example", "A");

        Assert.AreEqual("silent.example. 300 IN A 192.0.2.1", dig.Answers.SingleOrDefault(), dig.Output);
        Assert.AreEqual(1, TlsUpstreamSetup.Sum(retries, "silent", tag: "reason"));
        Assert.AreEqual(2, TlsUpstreamSetup.Sum(connections), "the retry went to a fresh connection");
    }

    [TestMethod]
    [DataRow(500, "application/dns-message")]
    [DataRow(200, "text/html")]
    public async Task AnswerThatIsNotADnsMessage_IsRefused_AndNotAskedAgain(int status, string contentType)
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        doh.Status = status;
        doh.ContentType = contentType;
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);
        using var retries = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.retries");

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "refused.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.AreEqual(0, TlsUpstreamSetup.Sum(retries), "the server answered: not a dead connection");
        Assert.IsTrue(doh.Received.All(q => QueryName(q) == "refused.example"));
    }

    /// <summary>An answer larger than an HTTP/2 frame (16 KiB) arrives in several DATA frames and is put back together.</summary>
    [TestMethod]
    public async Task AnswerInSeveralFrames_IsReassembled()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate);
        doh.Handler = query =>
        {
            RawMessage answer = RawMessage.ResponseTo(query);
            for (int i = 0; i < 1500; i++)
            {
                answer.A(null, 300, $"10.{i / 250}.{i % 250}.1");
            }

            return answer.ToArray();
        };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "big.example", "A", "+tcp");

        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.HasCount(1500, dig.Answers);
        Assert.AreEqual("big.example. 300 IN A 10.5.249.1", dig.Answers[^1]);
    }

    /// <summary>More queries at once than the server takes on all our connections: the rest wait for room instead of failing.</summary>
    [TestMethod]
    public async Task BurstBeyondTheServersLimit_Waits_AndIsAnswered()
    {
        await using var setup = new TlsUpstreamSetup();
        await using FakeDohServer doh = await FakeDohServer.StartAsync(setup.Server.Certificate, maxStreams: 2);
        doh.Delay = TimeSpan.FromMilliseconds(50); // each answer takes a while, so the streams are all busy at once
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(doh.Url()).Values);

        DigResult[] digs = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Dig.RunAsync(daemon.EndPoint, $"burst{i}.example", "A")));

        Assert.IsTrue(digs.All(d => d.Status == "NOERROR"), string.Join("\n", digs.Where(d => d.Status != "NOERROR").Select(d => d.Output)));
        Assert.HasCount(24, doh.Received, "each asked once: none refused and asked again");
    }

    private static string QueryName(byte[] query) => FakeQuery.Parse(query, tcp: true, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)).Name;
}
