using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Accounting;
using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Transport;

/// <summary>
/// The DNS side of the daemon: loads the rules, then binds UDP and TCP on every
/// <c>Dns:Listen</c> address (port 0 = pick one, the same for UDP and TCP) and serves until stopped.
/// An address that cannot be bound is a <see cref="ListenException"/> naming it.
/// </summary>
public sealed partial class DnsServer : IHostedService, IDisposable
{
    private readonly SinkholeOptions _options;
    private readonly QueryPipeline _pipeline;
    private readonly ActiveConfig _config;
    private readonly ILogger<DnsServer> _logger;
    private readonly QueryContextPool _pool;
    private readonly QueryContextPool _tcpPool;
    private readonly List<UdpDnsListener> _udp = [];
    private readonly List<TcpDnsListener> _tcp = [];
    private readonly List<TcpDnsListener> _dot = [];
    private DohListener? _doh;
    private readonly ILoggerFactory _loggers;
    private readonly DesignatedResolver _designated;
    private readonly IMeterFactory _meterFactory;
    private bool _bound;

    private readonly QueryMetrics _metrics;
    private readonly ClientAnonymizer _anonymizer;

    public DnsServer(SinkholeOptions options, QueryPipeline pipeline, ActiveConfig config, ILogger<DnsServer> logger, QueryMetrics metrics, ClientAnonymizer anonymizer,
        IMeterFactory meterFactory, ILoggerFactory loggers, DesignatedResolver designated)
    {
        _loggers = loggers;
        _designated = designated;
        _meterFactory = meterFactory;
        _anonymizer = anonymizer;
        _metrics = metrics;
        _options = options;
        _pipeline = pipeline;
        _config = config;
        _logger = logger;
        // Separate budgets: TCP clients can never take the contexts UDP answers with. The forward
        // stage lets at most MaxInFlight UDP queries wait on upstreams, and each receive thread
        // holds one context: with those spare, a receive thread always has one to answer blocked
        // and cached queries with, however many wait upstream.
        _pool = new QueryContextPool(options.Dns.MaxInFlight + (UdpThreads(options) * options.Dns.Listen.Count) + 8);
        _tcpPool = new QueryContextPool(options.Dns.MaxInFlight);
    }

    /// <summary>True once every listener is bound and serving.</summary>
    public bool IsReady { get; private set; }

    /// <summary>The addresses actually bound (ports resolved), one per <c>Dns:Listen</c> entry.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => [.. _udp.Select(u => u.LocalEndPoint)];

    /// <summary>The DoT addresses actually bound (<c>Dns:Tls:Listen</c>, ports resolved).</summary>
    public IReadOnlyList<IPEndPoint> TlsEndPoints => [.. _dot.Select(d => d.LocalEndPoint)];

    /// <summary>The DoH addresses actually bound (<c>Dns:Https:Listen</c>, ports resolved).</summary>
    public IReadOnlyList<IPEndPoint> HttpsEndPoints => _doh?.EndPoints ?? [];

    /// <summary>The DoT and DoH listeners' certificate (null when both are off).</summary>
    public TlsCertificateSource? TlsCertificates { get; private set; }

    /// <summary>TCP connections open now, over every listener.</summary>
    public int TcpConnections => _tcp.Sum(t => t.Connections);

    /// <summary>
    /// Binds UDP and TCP on every listen address without serving yet (queries wait in the
    /// kernel's buffers until <see cref="StartAsync"/>). The daemon calls it before the host starts,
    /// so an address that cannot be bound ends the start with one clear line; called again, or by
    /// <see cref="StartAsync"/>, it does nothing more.
    /// </summary>
    /// <exception cref="ListenException">An address cannot be bound (taken, not ours, a privileged port).</exception>
    public void Bind()
    {
        if (_bound)
        {
            return;
        }

        foreach (IPEndPoint endPoint in _options.Dns.Listen)
        {
            (UdpDnsListener udp, TcpDnsListener tcp) = Bind(endPoint);
            _udp.Add(udp);
            _tcp.Add(tcp);
        }

        if (_options.Dns.Tls.Enabled || _options.Dns.Https.Enabled)
        {
            BindTls();
            _designated.Designate(TlsEndPoints, HttpsEndPoints, _options.Dns.Tls.ServerName); // DDR, RFC 9462
        }

        _bound = true;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _config.Load(_options);
        Bind();
        int threads = UdpThreads(_options);
        for (int i = 0; i < _udp.Count; i++)
        {
            _udp[i].Start(threads);
            _tcp[i].Start();
            LogListening(_udp[i].LocalEndPoint, threads);
        }

        foreach (TcpDnsListener dot in _dot)
        {
            dot.Start();
            LogListeningTls(dot.LocalEndPoint, TlsCertificates!.CertificateFile, TlsCertificates.IsSelfSigned ? "self-signed" : "configured");
        }

        if (_doh is not null)
        {
            await _doh.StartAsync(cancellationToken).ConfigureAwait(false);
            foreach (IPEndPoint endPoint in _doh.EndPoints)
            {
                LogListeningHttps(endPoint, TlsCertificates!.CertificateFile, TlsCertificates.IsSelfSigned ? "self-signed" : "configured");
            }
        }

        IsReady = true;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        IsReady = false;
        if (_doh is not null)
        {
            await _doh.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (TcpDnsListener tcp in _tcp.Concat(_dot))
        {
            tcp.Stop();
        }

        foreach (UdpDnsListener udp in _udp)
        {
            udp.Stop();
        }
    }

    public void Dispose()
    {
        foreach (UdpDnsListener udp in _udp)
        {
            udp.Dispose();
        }

        foreach (TcpDnsListener tcp in _tcp.Concat(_dot))
        {
            tcp.Dispose();
        }

        _doh?.DisposeAsync().AsTask().GetAwaiter().GetResult(); // stopped already in StopAsync: only the sockets are left
    }

    private void BindTls()
    {
        TlsCertificateSource certificates;
        try
        {
            certificates = new TlsCertificateSource(_options.Dns.Tls, _options.DataDirectory, _logger);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ListenException($"DoT/DoH: the certificate does not load (Dns:Tls:CertificateFile '{_options.Dns.Tls.CertificateFile}', KeyFile '{_options.Dns.Tls.KeyFile}'): {e.Message}", e);
        }

        TlsCertificates = certificates;
        if (_options.Dns.Https.Enabled)
        {
            _doh = new DohListener(_options, certificates, _pipeline, _tcpPool, _loggers);
            _doh.Bind();
        }

        var handshake = new DotHandshake(_options.Dns.Tls, certificates, _meterFactory);
        foreach (IPEndPoint endPoint in _options.Dns.Tls.Listen)
        {
            try
            {
                _dot.Add(new TcpDnsListener(endPoint, _pipeline, _tcpPool, _options, _logger, _anonymizer, handshake));
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new ListenException(endPoint, "DoT (TCP)", e);
            }
        }
    }

    private static int UdpThreads(SinkholeOptions options) =>
        options.Dns.UdpThreads > 0 ? options.Dns.UdpThreads : Math.Clamp(Environment.ProcessorCount, 1, 4);

    private (UdpDnsListener Udp, TcpDnsListener Tcp) Bind(IPEndPoint endPoint)
    {
        // With port 0 the kernel picks a UDP port; TCP must get the same one. Retry if it is taken.
        for (int attempt = 0; ; attempt++)
        {
            UdpDnsListener udp;
            try
            {
                udp = new(endPoint, _pipeline, _pool, _logger, _metrics);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new ListenException(endPoint, "UDP", e);
            }

            try
            {
                TcpDnsListener tcp = new(udp.LocalEndPoint, _pipeline, _tcpPool, _options, _logger, _anonymizer);
                return (udp, tcp);
            }
            catch (System.Net.Sockets.SocketException) when (endPoint.Port == 0 && attempt < 20)
            {
                udp.Dispose();
            }
            catch (System.Net.Sockets.SocketException e)
            {
                udp.Dispose();
                throw new ListenException(udp.LocalEndPoint, "TCP", e);
            }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    [LoggerMessage(EventId = LogEventIds.DnsServer, Level = LogLevel.Information, Message = "Answering DNS on {EndPoint} (UDP with {Threads} receive threads, TCP)")]
    private partial void LogListening(IPEndPoint endPoint, int threads);

    [LoggerMessage(EventId = LogEventIds.DnsServer + 2, Level = LogLevel.Information, Message = "Answering DNS over TLS on {EndPoint} (certificate {File}, {Kind})")]
    private partial void LogListeningTls(IPEndPoint endPoint, string file, string kind);

    [LoggerMessage(EventId = LogEventIds.DnsServer + 3, Level = LogLevel.Information, Message = "Answering DNS over HTTPS on https://{EndPoint}/dns-query (HTTP/2 and HTTP/1.1, certificate {File}, {Kind})")]
    private partial void LogListeningHttps(IPEndPoint endPoint, string file, string kind);
}
