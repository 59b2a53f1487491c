using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Http;

/// <summary>
/// Who may use the HTTP listener, checked for every request before its endpoint runs:
/// <list type="number">
/// <item><c>Host</c> must be an IP literal, <c>localhost</c> or a name in <c>Http:AllowedHosts</c>
/// (421 otherwise, 400 without one): a web page whose name was rebound to this box's address
/// cannot talk to it from a browser on the LAN (DNS rebinding).</item>
/// <item>A changing request (anything but GET and HEAD) with an <c>Origin</c> other than this
/// server's own is refused (403): no other site's page can make a browser change state here.</item>
/// <item>What the endpoint needs (<see cref="RequiresAccess"/>; an endpoint that does not say
/// counts as API): <c>/healthz</c> and <c>/readyz</c> nothing; <c>/metrics</c> nothing unless
/// <c>Http:MetricsToken</c> is set; <c>/api</c> the API token, as <c>Authorization: Bearer
/// TOKEN</c>, or for reads also as the password of <c>Authorization: Basic</c> (so a browser can
/// show them), or the web page's session cookie (<see cref="WebSessions"/>; a change with it also
/// needs the session's CSRF token in <c>X-CSRF-Token</c>, which only the page has). Changing
/// requests take the token only as Bearer, which no browser sends by itself; a token in the query
/// string or a cookie is never read. With <c>Http:TrustLoopback</c>, callers on loopback need no
/// token.</item>
/// </list>
/// </summary>
public sealed partial class HttpAccess
{
    private const string Realm = "misinkhole";

    private readonly HttpOptions _options;
    private readonly ApiCredentials _credentials;
    private readonly byte[] _apiToken;
    private readonly byte[]? _metricsToken;
    private readonly ILogger<HttpAccess> _logger;
    private readonly WebSessions _sessions;

    public HttpAccess(HttpOptions options, ApiCredentials credentials, WebSessions sessions, ILogger<HttpAccess> logger)
    {
        _sessions = sessions;
        _options = options;
        _credentials = credentials;
        _apiToken = Encoding.UTF8.GetBytes(credentials.Token);
        _metricsToken = options.MetricsToken is string metrics ? Encoding.UTF8.GetBytes(metrics) : null;
        _logger = logger;
    }

    /// <summary>Says at start where the API token is (never the token itself) and what is open.</summary>
    public void LogStart()
    {
        if (_credentials.TokenFile is not string file)
        {
            LogConfiguredToken();
        }
        else
        {
            if (_credentials.Created)
            {
                LogTokenCreated(file);
            }
            else
            {
                LogTokenRead(file);
            }

            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
            {
                LogTokenFileReadable(file, Convert.ToString((int)File.GetUnixFileMode(file), 8));
            }
        }

        if (_options.TrustLoopback)
        {
            LogTrustLoopback();
        }
    }

    /// <summary>The middleware: the request goes on to its endpoint, or gets the problem that stops it.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // No endpoint: a 404 follows and shows nothing; an endpoint that declares nothing is treated as API.
        HttpAccessLevel level = context.GetEndpoint() is Endpoint endpoint
            ? endpoint.Metadata.GetMetadata<RequiresAccess>()?.Level ?? HttpAccessLevel.Api
            : HttpAccessLevel.Open;
        return Check(context, level) is AccessDenial denial ? DenyAsync(context, denial) : next(context);
    }

    /// <summary>Null when the request may go on to an endpoint needing <paramref name="level"/>; else why not.</summary>
    public AccessDenial? Check(HttpContext context, HttpAccessLevel level)
    {
        HttpRequest request = context.Request;
        if (HostProblem(request.Host) is AccessDenial host)
        {
            return host;
        }

        bool changing = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);
        if (changing && OriginProblem(request) is AccessDenial origin)
        {
            return origin;
        }

        if (level == HttpAccessLevel.Open || (level == HttpAccessLevel.Metrics && _metricsToken is null))
        {
            return null;
        }

        if (_options.TrustLoopback && context.Connection.RemoteIpAddress is IPAddress remote
            && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return null;
        }

        string authorization = request.Headers.Authorization.ToString();
        byte[]? given = Credential(authorization, allowBasic: !changing);
        if (given is not null && (Same(given, _apiToken) || (level == HttpAccessLevel.Metrics && Same(given, _metricsToken!))))
        {
            return null;
        }

        if (given is null && _sessions.Find(request.Cookies[WebSessions.CookieName]) is WebSession session)
        {
            if (changing && !WebSessions.CsrfMatches(session, request.Headers[WebSessions.CsrfHeader]))
            {
                return new AccessDenial(StatusCodes.Status403Forbidden, "Forbidden", $"a change with the session cookie needs the session's {WebSessions.CsrfHeader}");
            }

            context.Items[typeof(WebSession)] = session;
            return null;
        }

        string needed = level == HttpAccessLevel.Metrics
            ? "/metrics needs Http:MetricsToken (or the API token)"
            : "the API needs its token (Http:ApiToken, or the one the daemon made in its DataDirectory: 'misinkhole api-token' prints it)";
        string detail = authorization.Length == 0 ? $"{needed}: send 'Authorization: Bearer TOKEN'"
            : given is null && changing ? "changes take the token only as 'Authorization: Bearer TOKEN'"
            : given is null ? $"{needed}: send 'Authorization: Bearer TOKEN' (or Basic, with the token as the password)"
            : "that token is not valid here";
        return new AccessDenial(StatusCodes.Status401Unauthorized, "Unauthorized", detail)
        {
            // A script's fetch (the web page) gets no Basic challenge: the browser would answer it with its own login box.
            Challenge = changing || request.Headers["Sec-Fetch-Mode"] is [string mode] && mode != "navigate"
                ? $"Bearer realm=\"{Realm}\""
                : $"Bearer realm=\"{Realm}\", Basic realm=\"{Realm}\", charset=\"UTF-8\"",
        };
    }

    private AccessDenial? HostProblem(HostString host)
    {
        if (!host.HasValue || host.Host.Length == 0)
        {
            return new AccessDenial(StatusCodes.Status400BadRequest, "Bad request", "a Host header is needed");
        }

        string name = host.Host;
        if ((name.StartsWith('[') && name.EndsWith(']') ? name[1..^1] : name) is string literal && IPAddress.TryParse(literal, out _)
            || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || _options.AllowedHosts.Contains(name.ToLowerInvariant()))
        {
            return null;
        }

        return new AccessDenial(StatusCodes.Status421MisdirectedRequest, "Misdirected request",
            $"Host '{name}' is not an IP address, localhost or a name in Http:AllowedHosts (a name not listed there could be a DNS-rebinding attack): use the address, or add the name to Http:AllowedHosts");
    }

    private static AccessDenial? OriginProblem(HttpRequest request)
    {
        string origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null; // not a browser's cross-origin request: curl, the CLI, scripts
        }

        int port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        if (Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) && uri.Scheme == request.Scheme && uri.AbsolutePath == "/"
            && uri.Host.Equals(request.Host.Host, StringComparison.OrdinalIgnoreCase) && uri.Port == port)
        {
            return null;
        }

        return new AccessDenial(StatusCodes.Status403Forbidden, "Forbidden",
            $"a change from Origin '{origin}' is refused: changes are accepted from programs that send no Origin, or from pages of this server itself");
    }

    /// <summary>The token in <c>Bearer TOKEN</c>, or (for reads) the password of <c>Basic</c>; null for anything else.</summary>
    private static byte[]? Credential(string authorization, bool allowBasic)
    {
        int space = authorization.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return null;
        }

        string scheme = authorization[..space];
        string value = authorization[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Encoding.UTF8.GetBytes(value);
        }

        if (allowBasic && scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(value));
                int colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon < 0 ? null : Encoding.UTF8.GetBytes(pair[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }

    private static bool Same(byte[] given, byte[] token) => CryptographicOperations.FixedTimeEquals(given, token);

    /// <summary>Whether <paramref name="given"/> is the API token (in constant time): the web page's login.</summary>
    public bool IsApiToken(string given) => Same(Encoding.UTF8.GetBytes(given), _apiToken);

    private Task DenyAsync(HttpContext context, AccessDenial denial)
    {
        LogDenied(context.Request.Method, context.Request.Path.Value ?? "", denial.Status, denial.Detail);
        if (denial.Challenge is not null)
        {
            context.Response.Headers.WWWAuthenticate = denial.Challenge;
        }

        return Results.Problem(denial.Detail, statusCode: denial.Status, title: denial.Title).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 1, Level = LogLevel.Information, Message = "API token: Http:ApiToken (every /api request needs it as 'Authorization: Bearer TOKEN')")]
    private partial void LogConfiguredToken();

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 2, Level = LogLevel.Information, Message = "API token: none in Http:ApiToken, so one was made in {File} (mode 0600); every /api request needs it as 'Authorization: Bearer TOKEN', and 'misinkhole api-token' prints it")]
    private partial void LogTokenCreated(string file);

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 3, Level = LogLevel.Information, Message = "API token: from {File} (Http:ApiToken is not set); 'misinkhole api-token' prints it")]
    private partial void LogTokenRead(string file);

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 4, Level = LogLevel.Warning, Message = "API token file {File} can be read by other users (mode {Mode}): chmod 600 it, or delete it for a new one at the next start")]
    private partial void LogTokenFileReadable(string file, string mode);

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 5, Level = LogLevel.Warning, Message = "Http:TrustLoopback is on: every caller on loopback uses the API without a token (behind a reverse proxy, ssh -L or docker-proxy that is everyone)")]
    private partial void LogTrustLoopback();

    [LoggerMessage(EventId = LogEventIds.HttpAccess + 6, Level = LogLevel.Debug, Message = "HTTP {Method} {Path} refused with {Status}: {Reason}")]
    private partial void LogDenied(string method, string path, int status, string reason);
}
