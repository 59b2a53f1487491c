using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Upstreams;

/// <summary>
/// What the DoT and DoH tests share: a throw-away CA (its PEM for <c>Upstreams:CaFile</c>), a
/// server certificate for <see cref="TlsName"/> and 127.0.0.1, an authoritative
/// (<see cref="FakeUpstream"/>) answering <c>*.example</c>, and reading the daemon's counters.
/// </summary>
internal sealed class TlsUpstreamSetup : IAsyncDisposable
{
    public const string TlsName = "upstream.test";

    public TlsUpstreamSetup()
    {
        Certificates = new TestCertificates(Directory.Path);
        Server = Certificates.Issue("server", [TlsName], [IPAddress.Loopback]);
    }

    public TempDirectory Directory { get; } = new();

    public TestCertificates Certificates { get; }

    public ServerCertificate Server { get; }

    public FakeUpstream Authoritative { get; } = new();

    /// <summary>
    /// The upstreams, the test CA as <c>Upstreams:CaFile</c>, and a 2 s attempt (a handshake on a
    /// loaded test machine takes longer than on a router; still less than dig's 3 s wait).
    /// </summary>
    public TestConfig Config(params string[] upstreams) => new TestConfig().Upstream(upstreams).Set("Upstreams:CaFile", Certificates.CaFile)
        .Set("Upstreams:AttemptTimeout", "2s").Set("Upstreams:Timeout", "2s");

    /// <summary>
    /// The sum of one of the daemon's counters (e.g. <c>misinkhole.upstream.connections</c>) since
    /// <paramref name="collector"/> began; of those with <paramref name="tag"/> = <paramref name="value"/> when given.
    /// </summary>
    public static long Sum(MetricCollector<long> collector, string? value = null, string tag = "result") =>
        collector.GetMeasurementSnapshot().Where(m => value is null || (string?)m.Tags[tag] == value).Sum(m => m.Value);

    public static MetricCollector<long> Counter(RunningDaemon daemon, string name) => new(daemon.Get<IMeterFactory>(), "MiSinkhole", name);

    public async ValueTask DisposeAsync()
    {
        await Authoritative.DisposeAsync();
        Certificates.Dispose();
        Directory.Dispose();
    }
}
