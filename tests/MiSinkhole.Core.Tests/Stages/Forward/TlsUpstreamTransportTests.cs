using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// DoT and DoH upstreams made by the factory, asked directly against the real unbound: what a
/// refused certificate (expired, another name) says in the log (what was wrong, once), and the exceptions the resolver
/// counts as the server's failure, and the idle limit of a DoT connection.
/// </summary>
[TestClass]
public sealed class TlsUpstreamTransportTests
{
    private const string TlsName = "upstream.test";

    [TestMethod]
    [DataRow("tls", TlsName, true, "NotTimeValid")]
    [DataRow("https", TlsName, true, "NotTimeValid")]
    [DataRow("tls", "other.test", false, "it is not for other.test")]
    public async Task RefusedCertificate_FailsTheExchange_AndIsLoggedOnceWithWhatIsWrong(string protocol, string tlsName, bool expired, string problem)
    {
        using var directory = new TempDirectory();
        using var certificates = new TestCertificates(directory.Path);
        await using var authoritative = new FakeUpstream();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(authoritative,
            certificates.Issue("server", [TlsName], [IPAddress.Loopback], expired));
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var factory = new UpstreamFactory(new SocketUdpExchange(), new UpstreamOptions { CaFile = certificates.CaFile }, loggerFactory, TestMeters.Factory());
        Assert.IsTrue(UpstreamServer.TryParse(protocol == "tls" ? unbound.TlsUpstream(tlsName) : unbound.HttpsUpstream(), out UpstreamServer server, out string error), error);
        IUpstream upstream = factory.Create(server);

        for (int i = 0; i < 3; i++)
        {
            Exception e = await Assert.ThrowsAsync<Exception>(() => upstream.ExchangeAsync(DnsName.FromText($"q{i}.example"), 1, 1, false, false, TimeSpan.FromSeconds(5)));
            Assert.IsTrue(e is AuthenticationException or HttpRequestException, e.ToString());
        }

        FakeLogRecord[] warnings = [.. logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning)];
        Assert.HasCount(1, warnings, "once, not per query");
        StringAssert.Contains(warnings[0].Message, problem);
        StringAssert.Contains(warnings[0].Message, server.Label);
        Assert.IsEmpty(authoritative.Received.Where(q => q.Name.EndsWith(".example", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow(8000, 1)]
    [DataRow(0, 3)]
    public async Task DotConnection_IsReusedOnlyWhileIdleForLessThanTheLimit(int idleMilliseconds, int connections)
    {
        using var directory = new TempDirectory();
        using var certificates = new TestCertificates(directory.Path);
        await using var authoritative = new FakeUpstream();
        await using UnboundTlsServer unbound = await UnboundTlsServer.StartAsync(authoritative, certificates.Issue("server", [TlsName], [IPAddress.Loopback]));
        Assert.IsTrue(UpstreamServer.TryParse(unbound.TlsUpstream(TlsName), out UpstreamServer server, out string error), error);
        IMeterFactory meters = TestMeters.Factory();
        using var opened = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.connections");
        await using var dot = new DotUpstream(server, null, new UpstreamCertificates(certificates.CaFile), new UpstreamTransportMetrics(UpstreamTransportMetrics.CreateMeter(meters)),
            NullLogger.Instance, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(idleMilliseconds));

        for (int i = 0; i < 3; i++)
        {
            DnsAnswer? answer = await dot.ExchangeAsync(DnsName.FromText($"idle{i}.example"), 1, 1, false, false, TimeSpan.FromSeconds(5));
            Assert.AreEqual(DnsResponseCode.NoError, answer?.Rcode);
        }

        Assert.AreEqual(connections, opened.GetMeasurementSnapshot().Sum(m => m.Value));
    }
}
