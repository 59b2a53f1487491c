using System.Diagnostics.Metrics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Metrics;

namespace MiSinkhole.Transport;

/// <summary>
/// The TLS side of a DoT connection (RFC 7858): at most <c>Dns:Tls:MaxHandshakes</c> handshakes at
/// once (past that a new connection is closed at once) and each within
/// <c>Dns:Tls:HandshakeTimeout</c>, so slow or silent clients cost a bounded amount and never hold up
/// the others; ALPN <c>dot</c>; TLS 1.2 and 1.3. The client ID is the first label of the name the
/// client asked for (SNI) when the rest is <c>Dns:Tls:ServerName</c>.
/// </summary>
public sealed class DotHandshake
{
    private static readonly List<SslApplicationProtocol> Protocols = [new("dot")];
    private static readonly KeyValuePair<string, object?> Done = new("result", "ok");
    private static readonly KeyValuePair<string, object?> Failed = new("result", "failed");
    private static readonly KeyValuePair<string, object?> TimedOut = new("result", "timeout");
    private static readonly KeyValuePair<string, object?> Busy = new("result", "busy");

    private readonly DnsTlsOptions _options;
    private readonly TlsCertificateSource _certificates;
    private int _inProgress;
    private readonly Counter<long> _counted;

    public DotHandshake(DnsTlsOptions options, TlsCertificateSource certificates, IMeterFactory meterFactory)
    {
        _options = options;
        _certificates = certificates;
        _counted = meterFactory.Create(SinkholeMeter.Name).CreateCounter<long>("misinkhole.dns.tls.handshakes",
            description: "DoT handshakes by result: ok, failed (not TLS, no common version or cipher), timeout (Dns:Tls:HandshakeTimeout), busy (Dns:Tls:MaxHandshakes in progress: closed at once).");
    }

    public TlsCertificateSource Certificates => _certificates;

    /// <summary>The TLS stream and the client ID, or null when the handshake failed (the socket is then closed).</summary>
    public async Task<(SslStream Stream, string? ClientId)?> RunAsync(Socket socket, CancellationToken stopping)
    {
        if (Interlocked.Increment(ref _inProgress) > _options.MaxHandshakes)
        {
            Interlocked.Decrement(ref _inProgress);
            _counted.Add(1, Busy);
            socket.Dispose();
            return null;
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.HandshakeTimeout);
            var server = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificates.Current,
                ApplicationProtocols = Protocols,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
            };
            await tls.AuthenticateAsServerAsync(server, timeout.Token).ConfigureAwait(false);
            _counted.Add(1, Done);
            return (tls, ClientIdOf(tls.TargetHostName, _options.ServerName));
        }
        catch (OperationCanceledException)
        {
            _counted.Add(1, TimedOut);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or ObjectDisposedException)
        {
            _counted.Add(1, Failed);
        }
        finally
        {
            Interlocked.Decrement(ref _inProgress);
        }

        await tls.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>The first label of <paramref name="host"/> when the rest is <paramref name="serverName"/>, lower case; else null.</summary>
    public static string? ClientIdOf(string? host, string? serverName)
    {
        if (serverName is null || string.IsNullOrEmpty(host))
        {
            return null;
        }

        ReadOnlySpan<char> name = host.AsSpan().TrimEnd('.');
        int dot = name.IndexOf('.');
        if (dot <= 0 || !name[(dot + 1)..].Equals(serverName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string id = name[..dot].ToString().ToLowerInvariant();
        return DevicesOptions.IsClientId(id) ? id : null;
    }
}
