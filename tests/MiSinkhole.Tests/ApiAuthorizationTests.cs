using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Http;

namespace MiSinkhole.Tests;

/// <summary>Who may change state through the API, decided on the request's remote address and header.</summary>
[TestClass]
public sealed class ApiAuthorizationTests
{
    private static async Task<int> StatusFor(HttpOptions options, string remote, string? authorization = null)
    {
        var http = new DefaultHttpContext { Connection = { RemoteIpAddress = IPAddress.Parse(remote) } };
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        http.RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        object? result = await new ApiAuthorization(options).InvokeAsync(EndpointFilterInvocationContext.Create(http), _ => ValueTask.FromResult<object?>(Results.Ok()));
        await ((IResult)result!).ExecuteAsync(http);
        return http.Response.StatusCode;
    }

    [TestMethod]
    [DataRow("127.0.0.1", 200)]
    [DataRow("::1", 200)]
    [DataRow("::ffff:127.0.0.1", 200)]
    [DataRow("192.168.1.23", 403)]
    [DataRow("fd00::23", 403)]
    public async Task WithoutToken_OnlyLoopbackMayChangeState(string remote, int expected) =>
        Assert.AreEqual(expected, await StatusFor(new HttpOptions(), remote));

    [TestMethod]
    [DataRow("192.168.1.23", "Bearer 0123456789abcdef", 200)]
    [DataRow("127.0.0.1", null, 401)]
    [DataRow("192.168.1.23", "Bearer 0123456789abcdeF", 401)]
    [DataRow("192.168.1.23", "0123456789abcdef", 401)]
    public async Task WithToken_TheBearerHeaderDecides(string remote, string? authorization, int expected) =>
        Assert.AreEqual(expected, await StatusFor(new HttpOptions { ApiToken = "0123456789abcdef" }, remote, authorization));
}
