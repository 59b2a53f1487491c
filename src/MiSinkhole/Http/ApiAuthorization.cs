using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Http;

/// <summary>
/// Guards the API endpoints that change state: with <c>Http:ApiToken</c> set they need
/// <c>Authorization: Bearer TOKEN</c>; without one they accept only callers on loopback, so a
/// LAN device cannot switch blocking off for itself.
/// </summary>
public sealed class ApiAuthorization(HttpOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        if (options.ApiToken is string token)
        {
            string header = http.Request.Headers.Authorization.ToString();
            byte[] given = Encoding.UTF8.GetBytes(header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "");
            if (!CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(token)))
            {
                return Results.Problem("a valid 'Authorization: Bearer <Http:ApiToken>' header is needed", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            }
        }
        else if (http.Connection.RemoteIpAddress is not IPAddress remote || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return Results.Problem("without Http:ApiToken, changes are accepted from this machine (loopback) only", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }

        return await next(context).ConfigureAwait(false);
    }
}
