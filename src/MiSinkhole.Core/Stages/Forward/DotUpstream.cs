using Microsoft.Extensions.Logging;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// DNS over TLS to one server (RFC 7858), on pooled connections (<see cref="EncryptedUpstream"/>)
/// reused while idle for less than <see cref="IdleLimit"/> (public resolvers close idle DoT
/// connections after about 10 s).
/// </summary>
public sealed class DotUpstream : EncryptedUpstream
{
    /// <summary>An idle connection is closed instead of reused after this long (below the ~10 s of public resolvers).</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(8);

    private readonly BootstrapAddresses? _bootstrap;
    private readonly UpstreamCertificates _certificates;

    public DotUpstream(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates, UpstreamTransportMetrics metrics,
        ILogger logger, TimeSpan connectTimeout, TimeSpan? idleLimit = null)
        : base(server.Protocol == UpstreamProtocol.Tls ? server : throw new ArgumentException("not a tls:// upstream", nameof(server)),
            metrics, logger, connectTimeout, idleLimit ?? IdleLimit)
    {
        _bootstrap = bootstrap;
        _certificates = certificates;
    }

    private protected override async Task<EncryptedConnection> OpenConnectionAsync(CancellationToken token) =>
        await DotConnection.OpenAsync(Server, _bootstrap, _certificates, Metrics, token).ConfigureAwait(false);
}
