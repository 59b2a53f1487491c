using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// A DoH upstream asked directly, against a Kestrel server that takes 4 streams at once per
/// connection: streams we gave up on count against that limit until the server ends them.
/// </summary>
[TestClass]
public sealed class DohStreamLimitTests
{
    [TestMethod]
    public async Task StreamsGivenUp_StillCountAgainstTheServersLimit_SoTheNextQueryGoesToAFreshConnection()
    {
        using var directory = new TempDirectory();
        using var certificates = new TestCertificates(directory.Path);
        await using FakeDohServer doh = await FakeDohServer.StartAsync(certificates.Issue("server", ["upstream.test"], [IPAddress.Loopback]).Certificate, maxStreams: 4);
        doh.Hang = query => FakeQuery.Parse(query, tcp: true, new IPEndPoint(IPAddress.Loopback, 0)).Name.StartsWith("hang", StringComparison.Ordinal);
        Assert.IsTrue(UpstreamServer.TryParse(doh.Url(), out UpstreamServer server, out string error), error);
        IMeterFactory meters = TestMeters.Factory();
        using var opened = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.connections");
        using var retries = new MetricCollector<long>(meters, "MiSinkhole", "misinkhole.upstream.retries");
        await using var upstream = new DohUpstream(server, null, new UpstreamCertificates(certificates.CaFile),
            new UpstreamTransportMetrics(UpstreamTransportMetrics.CreateMeter(meters)), NullLogger.Instance, TimeSpan.FromSeconds(5));

        // Four at once open the first connection together (none finds it pooled, so none fails
        // over for silence): they fill the server's limit, and time out unanswered (2 s: a TLS
        // handshake on a loaded two-core machine can take most of a second).
        DnsAnswer?[] hung = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(i => upstream.ExchangeAsync(DnsName.FromText($"hang{i}.example"), 1, 1, false, false, TimeSpan.FromSeconds(2))));
        DnsAnswer? after = await upstream.ExchangeAsync(DnsName.FromText("after.example"), 1, 1, false, false, TimeSpan.FromSeconds(5));

        Assert.IsTrue(hung.All(a => a is null), "they timed out");
        Assert.AreEqual(DnsResponseCode.NoError, after?.Rcode);
        Assert.IsEmpty(retries.GetMeasurementSnapshot(), "nothing refused or reset: the full connection was not asked");
        Assert.AreEqual(2, opened.GetMeasurementSnapshot().Sum(m => m.Value), "a fresh connection for the next query");
    }
}
