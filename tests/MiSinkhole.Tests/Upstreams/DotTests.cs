using System.Net;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Upstreams;

/// <summary>
/// DNS over TLS through the daemon to the real unbound (DoT on loopback with a test CA) in front
/// of a fake authoritative: answers, certificate refusals, one connection shared by many
/// queries, TLS resumption, and a dead pooled connection costing one retry.
/// </summary>
[TestClass]
public sealed class DotTests
{
    [TestMethod]
    public async Task Query_OverDot_GetsTheAuthoritativesAnswer()
    {
        await using var setup = new TlsUpstreamSetup();
        setup.Authoritative.Handler = q => RawMessage.ResponseTo(q.Raw).A(null, 300, "192.0.2.77").ToArray();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream(TlsUpstreamSetup.TlsName)).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "dot.example", "A");

        Assert.AreEqual("dot.example. 300 IN A 192.0.2.77", dig.Answers.Single(), dig.Output);
        Assert.IsTrue(setup.Authoritative.Received.Any(q => q.Name == "dot.example"));
        Assert.AreEqual(1, await unbound.StatAsync("num.query.tls"), "the query reached unbound over TLS");
    }

    [TestMethod]
    public async Task WrongTlsName_IsRefused()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream("other.test")).Values);
        using var handshakes = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.tls_handshakes");

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "wrong-name.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.IsFalse(setup.Authoritative.Received.Any(q => q.Name == "wrong-name.example"), "no query went through the refused connection");
        Assert.AreEqual(0, await unbound.StatAsync("num.query.tls"));
        Assert.IsGreaterThan(0, TlsUpstreamSetup.Sum(handshakes, "failed"));
        Assert.AreEqual(0, TlsUpstreamSetup.Sum(handshakes, "ok"));
    }

    [TestMethod]
    public async Task ExpiredCertificate_IsRefused()
    {
        await using var setup = new TlsUpstreamSetup();
        ServerCertificate expired = setup.Certificates.Issue("expired", [TlsUpstreamSetup.TlsName], [IPAddress.Loopback], expired: true);
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, expired);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream(TlsUpstreamSetup.TlsName)).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "expired.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.AreEqual(0, await unbound.StatAsync("num.query.tls"));
        Assert.IsFalse(setup.Authoritative.Received.Any(q => q.Name == "expired.example"));
    }

    [TestMethod]
    public async Task UntrustedCa_WithoutCaFile_IsRefused()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(unbound.TlsUpstream(TlsUpstreamSetup.TlsName)).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "untrusted.example", "A");

        Assert.AreEqual("SERVFAIL", dig.Status, dig.Output);
        Assert.AreEqual(0, await unbound.StatAsync("num.query.tls"));
    }

    [TestMethod]
    public async Task ParallelQueries_ShareOneConnection()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream(TlsUpstreamSetup.TlsName))
            .Set("Upstreams:AttemptTimeout", "5s").Set("Upstreams:Timeout", "5s").Values);
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        using var reuses = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connection_reuses");

        byte[]?[] answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query($"parallel-{i}.example", 1, id: (ushort)(0x4000 + i)), TimeSpan.FromSeconds(8))));

        for (int i = 0; i < answers.Length; i++)
        {
            Assert.IsNotNull(answers[i], $"query {i} got no answer");
            Assert.AreEqual(0, answers[i]![3] & 0x0F, $"query {i}: RCODE");
            Assert.AreEqual(0x4000 + i, (answers[i]![0] << 8) | answers[i]![1], "the client's ID comes back");
        }

        Assert.AreEqual(1, TlsUpstreamSetup.Sum(connections), "one connection for all of them");
        Assert.AreEqual(39, TlsUpstreamSetup.Sum(reuses));
        Assert.AreEqual(40, await unbound.StatAsync("num.query.tls"));
    }

    [TestMethod]
    public async Task ConnectionClosedByTheServer_IsReplaced_AndTheSessionResumed()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server, idleTimeout: TimeSpan.FromMilliseconds(500));
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream(TlsUpstreamSetup.TlsName)).Values);
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        using var resumed = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.tls_resumed");
        DotUpstream dot = daemon.Get<UpstreamFactory>().Created.OfType<DotUpstream>().Single();

        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "first.example", "A")).Status);
        for (int polls = 0; dot.OpenConnections > 0; polls++, await Task.Delay(50))
        {
            Assert.IsLessThan(200, polls, "unbound never closed the idle connection");
        }

        DigResult second = await Dig.RunAsync(daemon.EndPoint, "second.example", "A");

        Assert.AreEqual("NOERROR", second.Status, second.Output);
        Assert.AreEqual(2, TlsUpstreamSetup.Sum(connections));
        Assert.AreEqual(1, await unbound.StatAsync("num.query.tls.resume"), "the second connection resumed the first one's TLS session");
        Assert.AreEqual(1, TlsUpstreamSetup.Sum(resumed), "and the daemon saw it resume (the first handshake was a full one)");
    }

    [TestMethod]
    public async Task RestartedUpstream_IsReconnected()
    {
        await using var setup = new TlsUpstreamSetup();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.TlsUpstream(TlsUpstreamSetup.TlsName)).Values);
        using var connections = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.connections");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "before.example", "A")).Status);

        await unbound.RestartAsync();
        DigResult after = await Dig.RunAsync(daemon.EndPoint, "after.example", "A");

        Assert.AreEqual("NOERROR", after.Status, after.Output);
        Assert.AreEqual(2, TlsUpstreamSetup.Sum(connections));
    }

    [TestMethod]
    public async Task SilentPooledConnection_CostsOneRetry_NotATimeout()
    {
        await using var setup = new TlsUpstreamSetup();
        await using var silent = new SilentTlsServer(setup.Server.Certificate);
        // One upstream only: a query left to time out would be a SERVFAIL.
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config($"tls://127.0.0.1:{silent.Port}#{TlsUpstreamSetup.TlsName}").Values);
        using var retries = TlsUpstreamSetup.Counter(daemon, "misinkhole.upstream.retries");
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "pooled.example", "A")).Status);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "silent.example", "A");

        Assert.AreEqual("silent.example. 300 IN A 192.0.2.1", dig.Answers.SingleOrDefault(), dig.Output);
        Assert.AreEqual(1, TlsUpstreamSetup.Sum(retries, "silent", tag: "reason"));
        Assert.AreEqual(2, silent.Accepted, "the retry went to a fresh connection");
    }

    /// <summary>
    /// A pooled connection that is only slow (its answer comes after the silence limit) is not
    /// thrown away: the query waits on both it and the retry, and here only the slow one answers.
    /// </summary>
    [TestMethod]
    public async Task SlowPooledConnection_ItsLateAnswerStillCounts()
    {
        await using var setup = new TlsUpstreamSetup();
        await using var slow = new SilentTlsServer(setup.Server.Certificate, lateBy: TimeSpan.FromMilliseconds(1400));
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config($"tls://127.0.0.1:{slow.Port}#{TlsUpstreamSetup.TlsName}").Values);
        Assert.AreEqual("NOERROR", (await Dig.RunAsync(daemon.EndPoint, "pooled.example", "A")).Status);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "slow.example", "A");

        Assert.AreEqual("slow.example. 300 IN A 192.0.2.1", dig.Answers.SingleOrDefault(), dig.Output);
    }
}
