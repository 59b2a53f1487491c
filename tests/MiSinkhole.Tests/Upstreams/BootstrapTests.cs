using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Upstreams;

/// <summary>
/// Upstreams written with a host name: resolved through the plain <c>Upstreams:Bootstrap</c>
/// servers (a fake one here), verified against that name, and the daemon serving blocked names
/// even when bootstrap fails.
/// </summary>
[TestClass]
public sealed class BootstrapTests
{
    private static FakeReply Loopback(FakeQuery query) => query.Name == TlsUpstreamSetup.TlsName && query.Type == 1
        ? RawMessage.ResponseTo(query.Raw).A(null, 60, "127.0.0.1").ToArray()
        : RawMessage.ResponseTo(query.Raw).ToArray();

    [TestMethod]
    public async Task DotUpstreamByName_IsResolvedThroughBootstrap()
    {
        await using var setup = new TlsUpstreamSetup();
        await using var bootstrap = new FakeUpstream { Handler = Loopback };
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Server);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config($"tls://{TlsUpstreamSetup.TlsName}:{unbound.TlsPort}")
            .Set("Upstreams:Bootstrap:0", bootstrap.Address).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "by-name.example", "A");

        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.IsTrue(bootstrap.Received.Any(q => q.Name == TlsUpstreamSetup.TlsName && q.Type == 1));
        Assert.IsTrue(bootstrap.Received.Any(q => q.Name == TlsUpstreamSetup.TlsName && q.Type == 28), "AAAA asked too");
        Assert.IsFalse(bootstrap.Received.Any(q => q.Name == "by-name.example"), "bootstrap resolves upstream names only");
        Assert.AreEqual(1, await unbound.StatAsync("num.query.tls"));
    }

    [TestMethod]
    public async Task DohUpstreamByName_ConnectsToTheBootstrappedAddress_KeepingTheNameForTls()
    {
        await using var setup = new TlsUpstreamSetup();
        await using var bootstrap = new FakeUpstream { Handler = Loopback };
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(setup.Authoritative, setup.Certificates.Issue("name-only", [TlsUpstreamSetup.TlsName], []));
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(setup.Config(unbound.HttpsUpstream(TlsUpstreamSetup.TlsName))
            .Set("Upstreams:Bootstrap:0", bootstrap.Address).Values);

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "doh-by-name.example", "A");

        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.AreEqual(1, await unbound.StatAsync("num.query.https"), "a certificate for the name only: verified against the URL's name, not the address");
    }

    [TestMethod]
    public async Task BootstrapFailing_TheDaemonStillStarts_AndAnswersBlockedNames()
    {
        await using var setup = new TlsUpstreamSetup();
        await using var bootstrap = new FakeUpstream { Handler = q => RawMessage.ResponseTo(q.Raw, rcode: 2).ToArray() };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            setup.Config($"https://{TlsUpstreamSetup.TlsName}/dns-query").Set("Upstreams:Bootstrap:0", bootstrap.Address)
                .List("ads", "ads.txt").Policy("strict", block: ["ads"]).DefaultPolicy("strict").Values,
            new Dictionary<string, string> { ["ads.txt"] = "ads.example\n" });

        DigResult blocked = await Dig.RunAsync(daemon.EndPoint, "ads.example", "A");
        DigResult forwarded = await Dig.RunAsync(daemon.EndPoint, "allowed.example", "A");

        Assert.AreEqual("ads.example. 60 IN A 0.0.0.0", blocked.Answers.Single(), blocked.Output);
        Assert.AreEqual("SERVFAIL", forwarded.Status, "no address for the upstream: its queries fail");
        Assert.IsTrue(bootstrap.Received.Any(q => q.Name == TlsUpstreamSetup.TlsName), "bootstrap was asked");
    }
}
