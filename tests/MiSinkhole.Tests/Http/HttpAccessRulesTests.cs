using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Http;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// <see cref="HttpAccess"/>'s decision for callers the tests cannot be over real sockets (they
/// all come from 127.0.0.0/8): a LAN address with <c>Http:TrustLoopback</c> on.
/// </summary>
[TestClass]
public sealed class HttpAccessRulesTests
{
    private static int? StatusFor(HttpOptions options, string remote, string method = "GET", string? authorization = null)
    {
        var http = new DefaultHttpContext { Connection = { RemoteIpAddress = IPAddress.Parse(remote) } };
        http.Request.Method = method;
        http.Request.Host = new HostString("192.168.1.2", 9153);
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        var access = new HttpAccess(options, new ApiCredentials("0123456789abcdef", null, false), new WebSessions(TimeProvider.System), NullLogger<HttpAccess>.Instance);
        return access.Check(http, HttpAccessLevel.Api)?.Status;
    }

    [TestMethod]
    [DataRow("127.0.0.1", null)]
    [DataRow("127.0.0.9", null)]
    [DataRow("::1", null)]
    [DataRow("::ffff:127.0.0.1", null)]
    [DataRow("192.168.1.23", 401)]
    [DataRow("fd00::23", 401)]
    public void TrustLoopback_TrustsLoopbackOnly(string remote, int? expected)
    {
        Assert.AreEqual(expected, StatusFor(new HttpOptions { TrustLoopback = true }, remote));
        Assert.AreEqual(expected, StatusFor(new HttpOptions { TrustLoopback = true }, remote, "POST"));
    }

    [TestMethod]
    [DataRow("127.0.0.1")]
    [DataRow("192.168.1.23")]
    public void WithoutTrustLoopback_EveryoneNeedsTheToken(string remote)
    {
        Assert.AreEqual(401, StatusFor(new HttpOptions(), remote));
        Assert.IsNull(StatusFor(new HttpOptions(), remote, "POST", "Bearer 0123456789abcdef"));
        Assert.IsNull(StatusFor(new HttpOptions(), remote, "GET", "bearer 0123456789abcdef"), "the scheme ignores case (RFC 9110)");
    }
}
