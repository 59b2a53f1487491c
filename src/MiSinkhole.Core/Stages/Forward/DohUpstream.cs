using Microsoft.Extensions.Logging;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// DNS over HTTPS to one server (RFC 8484): POSTs of <c>application/dns-message</c> over HTTP/2
/// (exactly: no HTTP/1.1 fallback, no HTTP/3), many at once on pooled connections
/// (<see cref="EncryptedUpstream"/>, <see cref="DohConnection"/>), kept while idle for less than
/// <see cref="IdleLimit"/>. The query goes out with message ID 0, as RFC 8484 asks for cache
/// friendliness, and the answer must carry ID 0 and echo the question; the client's ID is put
/// back when the answer is written for it. A host name is connected to at the addresses
/// bootstrap found, while TLS (SNI, certificate name) and <c>:authority</c> keep the URL's name.
/// </summary>
public sealed class DohUpstream : EncryptedUpstream
{
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(30);

    private readonly BootstrapAddresses? _bootstrap;
    private readonly UpstreamCertificates _certificates;

    public DohUpstream(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates, UpstreamTransportMetrics metrics,
        ILogger logger, TimeSpan connectTimeout, TimeSpan? idleLimit = null)
        : base(server.Protocol == UpstreamProtocol.Https && server.Url is not null ? server : throw new ArgumentException("not an https:// upstream", nameof(server)),
            metrics, logger, connectTimeout, idleLimit ?? IdleLimit)
    {
        _bootstrap = bootstrap;
        _certificates = certificates;
    }

    private protected override async Task<EncryptedConnection> OpenConnectionAsync(CancellationToken token) =>
        await DohConnection.OpenAsync(Server, _bootstrap, _certificates, Metrics, token).ConfigureAwait(false);
}
