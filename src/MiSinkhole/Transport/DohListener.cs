using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Transport;

/// <summary>
/// DNS over HTTPS on <c>Dns:Https:Listen</c>: a Kestrel of its own (not the API's: its Host,
/// Origin and token rules do not apply to a phone's resolver, and the API's port stays off the
/// network), HTTP/2 and HTTP/1.1 over TLS 1.2/1.3 with the DoT certificate (renewals picked up per
/// handshake), each handshake within <c>Dns:Tls:HandshakeTimeout</c>, at most
/// <c>Dns:Https:MaxConnections</c> connections and <c>Dns:TcpMaxPipelined</c> streams per HTTP/2
/// connection, idle connections closed after <c>Dns:TcpIdleTimeout</c>. Sockets are bound by
/// <see cref="Bind"/> before the host starts, so a taken address stops the start with one line.
/// </summary>
internal sealed class DohListener : IAsyncDisposable
{
    private readonly SinkholeOptions _options;
    private readonly TlsCertificateSource _certificates;
    private readonly DohRequestHandler _handler;
    private readonly ILoggerFactory _loggers;
    private readonly List<Socket> _bound = [];
    private readonly List<IPEndPoint> _endPoints = [];
    private WebApplication? _app;

    public DohListener(SinkholeOptions options, TlsCertificateSource certificates, QueryPipeline pipeline, QueryContextPool pool, ILoggerFactory loggers)
    {
        _options = options;
        _certificates = certificates;
        _loggers = loggers;
        _handler = new DohRequestHandler(pipeline, pool);
    }

    /// <summary>The addresses bound (ports resolved).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _endPoints;

    /// <exception cref="ListenException">An address cannot be bound.</exception>
    public void Bind()
    {
        foreach (IPEndPoint endPoint in _options.Dns.Https.Listen)
        {
            try
            {
                Socket socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint);
                _bound.Add(socket);
                _endPoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }
            catch (SocketException e)
            {
                throw new ListenException(endPoint, "DoH (TCP)", e);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = _options.BaseDirectory });
        builder.Services.AddSingleton(_loggers); // the daemon's logging, not a second console
        var sockets = new Queue<Socket>(_bound);
        builder.Services.Configure<SocketTransportOptions>(transport => transport.CreateBoundListenSocket = _ => sockets.Dequeue());
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = _options.Dns.Https.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            kestrel.Limits.MaxRequestBodySize = MiSinkhole.Dns.DnsConstants.MaxMessageSize;
            kestrel.Limits.KeepAliveTimeout = _options.Dns.TcpIdleTimeout;
            kestrel.Limits.Http2.MaxStreamsPerConnection = _options.Dns.TcpMaxPipelined;
            foreach (IPEndPoint endPoint in _endPoints)
            {
                kestrel.Listen(endPoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        HandshakeTimeout = _options.Dns.Tls.HandshakeTimeout,
                        OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = _certificates.Current,
                            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        }),
                    });
                });
            }
        });
        WebApplication app = builder.Build();
        app.Run(_handler.HandleAsync);
        _app = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops serving (requests in progress get until <paramref name="cancellationToken"/>) and lets the sockets go.</summary>
    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        foreach (Socket socket in _bound)
        {
            socket.Dispose(); // Kestrel closed those it took; these are the ones it never did
        }
    }

    public ValueTask DisposeAsync() => StopAsync(CancellationToken.None);
}
