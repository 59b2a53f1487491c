using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Http;

/// <summary>
/// Logging in for the web page: <c>POST /api/session</c> with the API token or the web password
/// sets the session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) and gives the page its
/// CSRF token; <c>GET /api/session</c> gives it again to a page that has the cookie (a reload);
/// <c>DELETE /api/session</c> logs out. The login is a change, so <see cref="HttpAccess"/> refuses
/// it from another site's page (Origin), and a JSON body cannot be sent cross-site without a
/// preflight that this server never answers.
/// </summary>
public static class SessionEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints, SinkholeOptions options)
    {
        string passwordFile = WebPasswordFile.PathIn(options.DataDirectory);
        endpoints.MapPost("/api/session", (HttpContext http, LoginRequest? login, WebSessions sessions, HttpAccess access) =>
        {
            if (!sessions.MayTry())
            {
                return Results.Problem($"more than {WebSessions.MaxFailuresPerMinute} failed logins this minute: try again in a minute", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
            }

            bool valid = login is not null
                && ((login.Token is { Length: > 0 } given && access.IsApiToken(given))
                    || (login.Password is { Length: > 0 } password && WebPasswordFile.Verify(passwordFile, password)));
            if (!valid)
            {
                sessions.Failed();
                return Results.Problem("that token or password is not valid here", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            }

            WebSession session = sessions.Open();
            http.Response.Cookies.Append(WebSessions.CookieName, session.Id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = http.Request.IsHttps,
                Path = "/",
                MaxAge = WebSessions.MaxLifetime,
            });
            return Results.Ok(new SessionResponse(session.Csrf, session.Expires));
        }).RequireAccess(HttpAccessLevel.Open);
        endpoints.MapGet("/api/session", (HttpContext http) =>
            http.Items[typeof(WebSession)] is WebSession session
                ? Results.Ok(new SessionResponse(session.Csrf, session.Expires))
                : Results.Problem("no session: log in with POST /api/session", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized"))
            .RequireAccess(HttpAccessLevel.Api);
        endpoints.MapDelete("/api/session", (HttpContext http, WebSessions sessions) =>
        {
            if (http.Items[typeof(WebSession)] is WebSession session)
            {
                sessions.Close(session);
            }

            http.Response.Cookies.Delete(WebSessions.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps });
            return Results.NoContent();
        }).RequireAccess(HttpAccessLevel.Api);
    }
}
