using System.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>The web page's files over HTTP: open to all (they hold no data), with their security headers and an ETag a reload revalidates.</summary>
[TestClass]
public sealed class WebPageHttpTests
{
    [TestMethod]
    [DataRow("/", "text/html")]
    [DataRow("/app.js", "text/javascript")]
    [DataRow("/app.css", "text/css")]
    public async Task EachFile_IsServedWithoutAToken_WithItsPolicy_AndRevalidates(string path, string type)
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        using var http = new HttpClient { BaseAddress = daemon.HttpAddress };

        HttpResponseMessage first = await http.GetAsync(path);
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        HttpResponseMessage revalidated = await http.SendAsync(again);

        Assert.AreEqual(HttpStatusCode.OK, first.StatusCode);
        Assert.AreEqual(type, first.Content.Headers.ContentType!.MediaType);
        StringAssert.Contains(first.Headers.GetValues("Content-Security-Policy").Single(), "default-src 'none'; script-src 'self'");
        StringAssert.Contains(first.Headers.GetValues("Content-Security-Policy").Single(), "frame-ancestors 'none'");
        Assert.AreEqual("nosniff", first.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.IsTrue(first.Headers.CacheControl!.NoCache);
        Assert.AreEqual(HttpStatusCode.NotModified, revalidated.StatusCode);
    }
}
