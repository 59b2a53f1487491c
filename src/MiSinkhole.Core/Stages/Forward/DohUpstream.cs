using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// DNS over HTTPS to one server (RFC 8484): POSTs of <c>application/dns-message</c> over HTTP/2
/// (exactly: no HTTP/1.1 fallback, no HTTP/3), many at once on one connection, kept open while
/// idle for <see cref="IdleLimit"/>. The query goes out with message ID 0, as RFC 8484 asks for
/// cache friendliness, and the answer must carry ID 0 and echo the question; the client's ID is
/// put back when the answer is written for it. Answers are read up to 65,535 bytes (a DNS message's
/// limit); a larger one fails the exchange. A host name is connected to at the addresses
/// bootstrap found, while TLS (SNI, certificate name) and the Host header keep the URL's name.
/// </summary>
public sealed partial class DohUpstream : IUpstream
{
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(30);
    public const int MaxAnswer = DnsConstants.MaxMessageSize;
    private static readonly MediaTypeHeaderValue DnsMessage = new("application/dns-message");
    private static readonly HttpRequestOptionsKey<bool> OpenedConnection = new("MiSinkhole.OpenedConnection");

    private readonly HttpClient _client;
    private readonly BootstrapAddresses? _bootstrap;
    private readonly UpstreamTransportMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Uri _url;

    public DohUpstream(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates, UpstreamTransportMetrics metrics,
        ILogger logger, TimeSpan connectTimeout)
    {
        Server = server.Protocol == UpstreamProtocol.Https && server.Url is not null ? server : throw new ArgumentException("not an https:// upstream", nameof(server));
        _url = server.Url;
        _bootstrap = bootstrap;
        _metrics = metrics;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = IdleLimit,
            ConnectTimeout = connectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            MaxResponseHeadersLength = 16,
            // An open connection that stopped answering is found by its PING within 15 s, idle or not.
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    bool ok = certificates.Validate(Server, certificate, chain, errors);
                    _metrics.Handshake(Server, ok);
                    return ok;
                },
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                AllowTlsResume = true,
            },
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public UpstreamServer Server { get; }

    public async Task<DnsAnswer?> ExchangeAsync(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        byte[] query = UpstreamQuery.Build(0, name, type, @class, dnssecOk, checkingDisabled, UpstreamQuery.EncryptedPadBlock);
        try
        {
            using HttpResponseMessage response = await SendAsync(query, cts.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"HTTP {(int)response.StatusCode}", null, response.StatusCode);
            }

            if (response.Content.Headers.ContentType?.MediaType is not "application/dns-message")
            {
                throw new HttpRequestException($"the answer is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not application/dns-message");
            }

            if (response.Content.Headers.ContentLength > MaxAnswer)
            {
                throw new HttpRequestException($"the answer is {response.Content.Headers.ContentLength} bytes, more than a DNS message can be");
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxAnswer + 1);
            try
            {
                return await ReadAnswerAsync(response, buffer, name, type, @class, cts.Token).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return null; // out of time
        }
    }

    /// <summary>
    /// POSTs the query. When the pooled connection it went out on turns out dead (closed or reset
    /// under it, which the handler does not retry once the request was sent), it is sent once more:
    /// the handler puts it on a live connection, or opens a fresh one.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(byte[] query, CancellationToken token)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(query) { Headers = { ContentType = DnsMessage } },
                Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/dns-message") } },
            };
            try
            {
                HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                if (!request.Options.TryGetValue(OpenedConnection, out bool opened) || !opened)
                {
                    _metrics.ConnectionReused(Server);
                }

                return response;
            }
            catch (HttpRequestException e) when (attempt == 0 && !token.IsCancellationRequested
                && (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded || e.InnerException is IOException)
                && !request.Options.TryGetValue(OpenedConnection, out _))
            {
                _metrics.Retried(Server);
                LogRetry(Server, e.Message);
            }
        }
    }

    /// <summary>Reads the body (at most <see cref="MaxAnswer"/> bytes) and validates it: ID 0 and our question.</summary>
    private static async Task<DnsAnswer> ReadAnswerAsync(HttpResponseMessage response, byte[] buffer, byte[] name, ushort type, ushort @class, CancellationToken token)
    {
        int length = 0;
        await using (Stream body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false))
        {
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length, MaxAnswer + 1 - length), token).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > MaxAnswer)
                {
                    throw new HttpRequestException("the answer is more than 65,535 bytes");
                }
            }
        }

        // ID 0 asked, ID 0 answered; the question must be ours.
        if (length < DnsHeader.Size || DnsHeader.ReadId(buffer) != 0)
        {
            throw new HttpRequestException("the answer is not a DNS message with ID 0");
        }

        return DnsAnswer.TryParse(buffer.AsSpan(0, length), name, type, @class)
            ?? throw new HttpRequestException("the answer did not echo the question (or was malformed)");
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return default;
    }

    /// <summary>The handler's TCP connections: to the URL's address, or to one bootstrap found for its name (TLS still verifies the URL's name).</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken token)
    {
        try
        {
            System.Net.Sockets.Socket socket = await UpstreamSockets.ConnectAsync(Server, _bootstrap, token).ConfigureAwait(false);
            _metrics.ConnectionOpened(Server);
            context.InitialRequestMessage.Options.Set(OpenedConnection, true);
            return new ObservedStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), resumed =>
            {
                if (resumed)
                {
                    _metrics.Resumed(Server);
                }
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.InitialRequestMessage.Options.Set(OpenedConnection, false); // not a dead pooled connection: no retry
            LogConnectFailed(Server, e.Message);
            throw;
        }
    }

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 21, Level = LogLevel.Debug, Message = "DoH {Server}: the pooled connection was dead ({Reason}); asking again")]
    private partial void LogRetry(UpstreamServer server, string reason);

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 20, Level = LogLevel.Debug, Message = "DoH {Server}: connecting failed: {Reason}")]
    private partial void LogConnectFailed(UpstreamServer server, string reason);
}
