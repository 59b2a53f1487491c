using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>Opening the TLS connections of DoT and DoH upstreams, counted in <see cref="UpstreamTransportMetrics"/>.</summary>
internal static class UpstreamTls
{
    /// <summary>
    /// A TCP connection to the server (or an address bootstrap found for it) and a completed TLS
    /// handshake, offering <paramref name="applicationProtocol"/> by ALPN when set (and requiring it).
    /// </summary>
    public static async Task<(Socket Socket, SslStream Tls)> ConnectAsync(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates,
        UpstreamTransportMetrics metrics, SslApplicationProtocol? applicationProtocol, CancellationToken token)
    {
        Socket socket = await UpstreamSockets.ConnectAsync(server, bootstrap, token).ConfigureAwait(false);
        metrics.ConnectionOpened(server);
        var observed = new ObservedStream(new NetworkStream(socket, ownsSocket: true), resumed =>
        {
            if (resumed)
            {
                metrics.Resumed(server);
            }
        });
        var tls = new SslStream(observed, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = server.TlsName,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => certificates.Validate(server, certificate, chain, errors),
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                AllowTlsResume = true,
                EnabledSslProtocols = SslProtocols.None,
                ApplicationProtocols = applicationProtocol is { } alpn ? [alpn] : null,
            }, token).ConfigureAwait(false);
            metrics.Handshake(server, ok: true);
        }
        catch
        {
            metrics.Handshake(server, ok: false);
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (applicationProtocol is { } wanted && tls.NegotiatedApplicationProtocol != wanted)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"the server did not agree to {wanted} (ALPN)");
        }

        return (socket, tls);
    }
}
