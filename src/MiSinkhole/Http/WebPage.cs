using System.IO.Hashing;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MiSinkhole.Http;

/// <summary>
/// The household's web page at <c>/</c> on <c>Http:Listen</c>: three files embedded in the
/// program (no CDN, no build step; it works on a LAN without internet). They hold no data (the
/// page asks <c>/api</c> for it after logging in), so anyone may load them. Each goes with an
/// ETag and <c>no-cache</c> (an upgrade is seen at once), and a Content-Security-Policy that lets
/// the page run only its own script and talk only to this server, in no frame.
/// </summary>
public static class WebPage
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "MiSinkhole.Web.index.html", "text/html; charset=utf-8"),
        ("/app.js", "MiSinkhole.Web.app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "MiSinkhole.Web.app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach ((string path, string resource, string contentType) in Files)
        {
            byte[] content = Read(resource);
            // Not a cryptographic hash: the daemon starts without OpenSSL (the arm64 test under qemu has none).
            string etag = "\"" + Convert.ToHexStringLower(XxHash3.Hash(content)) + "\"";
            endpoints.MapGet(path, (HttpContext http) =>
            {
                IHeaderDictionary headers = http.Response.Headers;
                headers.ContentSecurityPolicy = Policy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                headers.ETag = etag;
                return http.Request.Headers.IfNoneMatch == etag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(content, contentType);
            }).RequireAccess(HttpAccessLevel.Open);
        }
    }

    private static byte[] Read(string resource)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the page's file {resource} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
