using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.Dns;

namespace MiSinkhole.Transport;

/// <summary>
/// One DoH request (RFC 8484 §4.1): <c>GET /dns-query?dns=</c> with the query in base64url without
/// padding, or <c>POST /dns-query</c> with it as the <c>application/dns-message</c> body;
/// <c>/dns-query/{clientId}</c> names the client. The query runs through the same pipeline as
/// UDP, TCP and DoT, as transport <c>https</c>; the answer goes back as <c>application/dns-message</c>
/// with a <c>Cache-Control: max-age</c> no longer than its smallest TTL (§5.1). Not a DoH request:
/// 404 (another path), 405 (another method), 415 (another body type), 413 (over 65535 bytes),
/// 400 (no query, bad base64url, or a message the pipeline dropped as not DNS).
/// </summary>
internal sealed class DohRequestHandler(QueryPipeline pipeline, QueryContextPool pool)
{
    public const string Path = "/dns-query";
    private const string MediaType = "application/dns-message";

    public async Task HandleAsync(HttpContext http)
    {
        HttpRequest request = http.Request;
        HttpResponse response = http.Response;
        if (!TryClientId(request.Path, out string? clientId))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        bool get = HttpMethods.IsGet(request.Method);
        if (!get && !HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "GET, POST";
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        QueryContext? pooled = pool.TryRent();
        QueryContext context = pooled ?? new QueryContext();
        try
        {
            int status = get ? ReadGet(request, context) : await ReadPostAsync(request, context, http.RequestAborted).ConfigureAwait(false);
            if (status != StatusCodes.Status200OK)
            {
                response.StatusCode = status;
                return;
            }

            context.Transport = DnsTransport.Https;
            context.Client = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.FromIPAddress(remote, (ushort)http.Connection.RemotePort) : default;
            context.ClientId = clientId;
            await pipeline.ProcessAsync(context).ConfigureAwait(false);
            if (context.ResponseLength == 0)
            {
                // Dropped: not a DNS query, or over a limit (a UDP client would hear nothing).
                response.StatusCode = context.Limit == LimitReason.None ? StatusCodes.Status400BadRequest : StatusCodes.Status429TooManyRequests;
                return;
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = MediaType;
            response.ContentLength = context.ResponseLength;
            response.Headers.CacheControl = "max-age=" + MaxAge(context).ToString(CultureInfo.InvariantCulture);
            // Copied into Kestrel's buffer before the context goes back: a client that does not
            // read holds its own connection's buffers, never a shared context.
            response.BodyWriter.Write(context.Response);
        }
        finally
        {
            if (pooled is not null)
            {
                pool.Return(context);
            }
            else
            {
                context.Reset();
            }
        }

        await response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>/dns-query</c> (no ID) or <c>/dns-query/{id}</c> with a valid client ID, lower case.</summary>
    internal static bool TryClientId(PathString path, out string? clientId)
    {
        clientId = null;
        string value = path.Value ?? "";
        if (value.Equals(Path, StringComparison.OrdinalIgnoreCase) || value.Equals(Path + "/", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!value.StartsWith(Path + "/", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string id = value[(Path.Length + 1)..].TrimEnd('/').ToLowerInvariant();
        if (!DevicesOptions.IsClientId(id))
        {
            return false;
        }

        clientId = id;
        return true;
    }

    private static int ReadGet(HttpRequest request, QueryContext context)
    {
        string? encoded = request.Query["dns"];
        if (string.IsNullOrEmpty(encoded))
        {
            return StatusCodes.Status400BadRequest;
        }

        int max = Base64Url.GetMaxDecodedLength(encoded.Length);
        if (max > DnsConstants.MaxMessageSize)
        {
            return StatusCodes.Status413PayloadTooLarge;
        }

        context.EnsureRequestCapacity(max);
        if (!Base64Url.IsValid(encoded) || !Base64Url.TryDecodeFromChars(encoded, context.RequestBuffer, out int length) || length == 0)
        {
            return StatusCodes.Status400BadRequest;
        }

        context.RequestLength = length;
        return StatusCodes.Status200OK;
    }

    private static async Task<int> ReadPostAsync(HttpRequest request, QueryContext context, CancellationToken aborted)
    {
        string? type = request.ContentType;
        if (type is null || !type.Split(';')[0].Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase))
        {
            return StatusCodes.Status415UnsupportedMediaType;
        }

        if (request.ContentLength > DnsConstants.MaxMessageSize)
        {
            return StatusCodes.Status413PayloadTooLarge;
        }

        PipeReader body = request.BodyReader;
        while (true)
        {
            ReadResult read = await body.ReadAsync(aborted).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (buffer.Length > DnsConstants.MaxMessageSize)
            {
                body.AdvanceTo(buffer.End);
                return StatusCodes.Status413PayloadTooLarge;
            }

            if (read.IsCompleted)
            {
                int length = (int)buffer.Length;
                context.EnsureRequestCapacity(length);
                buffer.CopyTo(context.RequestBuffer);
                context.RequestLength = length;
                body.AdvanceTo(buffer.End);
                return length == 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The answer's cache lifetime (smallest TTL; a negative answer's SOA minimum); 0 when it has none.</summary>
    private static uint MaxAge(QueryContext context)
    {
        if (context.Query.NameLength == 0)
        {
            return 0;
        }

        DnsAnswer? answer = DnsAnswer.TryParse(context.Response, context.QueryName, context.Query.Type, context.Query.Class);
        return answer?.CacheTtl ?? 0;
    }
}
