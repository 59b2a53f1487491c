using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Http;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>
/// The web page's sessions over real HTTP: logging in with the token or the web password sets an
/// HttpOnly, SameSite=Strict cookie that opens the reads; a change with it needs the session's
/// CSRF token; failed logins are limited; logging out ends the session.
/// </summary>
[TestClass]
public sealed class WebSessionTests
{
    private static HttpClient Browser(RunningDaemon daemon, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = daemon.HttpAddress };

    private static Task<HttpResponseMessage> LogInAsync(HttpClient http, string? token = null, string? password = null) =>
        http.PostAsJsonAsync("/api/session", new { token, password });

    [TestMethod]
    public async Task TheCookieOpensReads_AChangeNeedsTheCsrfToken_LogOutEndsIt()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        var cookies = new CookieContainer();
        using HttpClient http = Browser(daemon, cookies);

        Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/devices")).StatusCode, "no cookie, no token");
        HttpResponseMessage login = await LogInAsync(http, token: daemon.ApiToken);
        Assert.AreEqual(HttpStatusCode.OK, login.StatusCode);
        string setCookie = login.Headers.GetValues("Set-Cookie").Single();
        StringAssert.Contains(setCookie, "httponly");
        StringAssert.Contains(setCookie, "samesite=strict");
        string csrf = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrf").GetString()!;

        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/api/devices")).StatusCode, "the cookie opens the reads");
        Assert.AreEqual(csrf, (await http.GetFromJsonAsync<JsonElement>("/api/session")).GetProperty("csrf").GetString(), "a reloaded page gets its CSRF token again");
        HttpResponseMessage withoutCsrf = await http.PostAsync("/api/pause?minutes=5", null);
        Assert.AreEqual(HttpStatusCode.Forbidden, withoutCsrf.StatusCode, "a change with the cookie alone is what a cross-site request could do");
        using var withCsrf = new HttpRequestMessage(HttpMethod.Post, "/api/pause?minutes=5") { Headers = { { WebSessions.CsrfHeader, csrf } } };
        Assert.AreEqual(HttpStatusCode.OK, (await http.SendAsync(withCsrf)).StatusCode);
        using var wrongCsrf = new HttpRequestMessage(HttpMethod.Post, "/api/pause?minutes=0") { Headers = { { WebSessions.CsrfHeader, (csrf[0] == '0' ? "1" : "0") + csrf[1..] } } };
        Assert.AreEqual(HttpStatusCode.Forbidden, (await http.SendAsync(wrongCsrf)).StatusCode);

        using var logout = new HttpRequestMessage(HttpMethod.Delete, "/api/session") { Headers = { { WebSessions.CsrfHeader, csrf } } };
        Assert.AreEqual(HttpStatusCode.NoContent, (await http.SendAsync(logout)).StatusCode);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/devices")).StatusCode, "logged out");
        Assert.AreEqual(0, daemon.Get<WebSessions>().Count);
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task TheWebPassword_LogsIn_FailedLoginsAreLimited()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        string file = WebPasswordFile.PathIn(daemon.Get<SinkholeOptions>().DataDirectory);
        WebPasswordFile.Write(file, "correct horse battery");
        Assert.DoesNotContain("correct horse", File.ReadAllText(file), "only the hash is kept");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        using HttpClient http = Browser(daemon, new CookieContainer());

        Assert.AreEqual(HttpStatusCode.OK, (await LogInAsync(http, password: "correct horse battery")).StatusCode);
        for (int i = 0; i < WebSessions.MaxFailuresPerMinute; i++)
        {
            Assert.AreEqual(HttpStatusCode.Unauthorized, (await LogInAsync(http, password: "wrong horse " + i)).StatusCode);
        }

        Assert.AreEqual(HttpStatusCode.TooManyRequests, (await LogInAsync(http, password: "correct horse battery")).StatusCode, "past the limit even the right password waits for the minute");
        Assert.ThrowsExactly<ArgumentException>(() => WebPasswordFile.Write(file, "short"));
    }

    [TestMethod]
    public void FailedLogins_AreCountedOverASlidingMinute_NotUntilTheClocksMinuteEnds()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 8, 0, 50, TimeSpan.Zero));
        var sessions = new WebSessions(time);
        for (int i = 0; i < WebSessions.MaxFailuresPerMinute; i++)
        {
            Assert.IsTrue(sessions.MayTry());
            sessions.Failed();
        }

        Assert.IsFalse(sessions.MayTry());
        time.Advance(TimeSpan.FromSeconds(20)); // 08:01:10: a new clock minute, the failures 20 s old
        Assert.IsFalse(sessions.MayTry(), "still limited: the window slides");
        time.Advance(TimeSpan.FromSeconds(41));
        Assert.IsTrue(sessions.MayTry(), "a minute after them");
    }

    [TestMethod]
    public async Task ALoginFromAnotherSitesPage_IsRefused()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address).Values);
        using HttpClient http = Browser(daemon, new CookieContainer());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/session")
        {
            Content = JsonContent.Create(new { token = daemon.ApiToken }),
            Headers = { { "Origin", "http://evil.example" } },
        };

        Assert.AreEqual(HttpStatusCode.Forbidden, (await http.SendAsync(request)).StatusCode);
        Assert.AreEqual(0, daemon.Get<WebSessions>().Count);
    }

    [TestMethod]
    public async Task TheWebPasswordVerb_ReadsStandardInput_KeepsTheHash_RefusesAShortOne()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data");

        (int set, string setOutput) = await DaemonProcess.RunWithInputAsync("correct horse battery\n", "web-password", $"--DataDirectory={data}");
        (int shortOne, string shortOutput) = await DaemonProcess.RunWithInputAsync("short\n", "web-password", $"--DataDirectory={data}");

        Assert.AreEqual(0, set, setOutput);
        string file = WebPasswordFile.PathIn(data);
        Assert.IsTrue(WebPasswordFile.Verify(file, "correct horse battery"));
        Assert.IsFalse(WebPasswordFile.Verify(file, "correct horse battery!"));
        Assert.AreEqual(1, shortOne);
        StringAssert.Contains(shortOutput, "at least 8 characters");
        Assert.IsTrue(WebPasswordFile.Verify(file, "correct horse battery"), "a refused one keeps the one set");
    }
}
