using Microsoft.Playwright;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.WebTests;

/// <summary>
/// The web page end to end in headless Chromium against the daemon on 127.0.0.1: logging in and
/// out, a wrong token refused, the pages filled from the API, pausing a device from the page
/// (its next query is answered, not blocked), a cross-site POST refused; screenshots of each page
/// at phone and desktop width.
/// </summary>
[TestClass]
public sealed class WebPageTests
{
    public TestContext TestContext { get; set; } = null!;

    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream) =>
        RunningDaemon.StartAsync(new TestConfig()
            .Upstream(upstream.Address)
            .List("xiaomi-telemetry", "telemetry.txt")
            .Policy("strict", block: ["xiaomi-telemetry"])
            .Policy("observe", log: ["xiaomi-telemetry"])
            .DefaultPolicy("observe")
            .Device("living-room-tv", "strict", "127.0.0.2")
            .Set("QueryLog:FlushInterval", "100ms").Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\n" });

    private static async Task<IPage> LogInAsync(IBrowserContext context, RunningDaemon daemon, string secret)
    {
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(daemon.HttpAddress.ToString());
        await page.GetByLabel("API token or web password").FillAsync(secret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        return page;
    }

    [TestMethod]
    public async Task LogIn_ShowsTheOverview_AWrongTokenIsRefused_LogOutEndsTheSession()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();

        IPage wrong = await LogInAsync(browser, daemon, "not-the-token");
        await Assertions.Expect(wrong.GetByRole(AriaRole.Status)).ToContainTextAsync("not valid");
        await Assertions.Expect(wrong.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeHiddenAsync();

        IPage page = await LogInAsync(browser, daemon, daemon.ApiToken);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        BrowserContextCookiesResult cookie = (await browser.CookiesAsync()).Single(c => c.Name == "misinkhole_session");
        Assert.IsTrue(cookie.HttpOnly, "scripts cannot read the session");
        Assert.AreEqual(SameSiteAttribute.Strict, cookie.SameSite);

        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync(); // the cookie keeps the session
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
        IAPIResponse after = await page.APIRequest.GetAsync(new Uri(daemon.HttpAddress, "/api/devices").ToString());
        Assert.AreEqual(401, after.Status, "after logging out the cookie opens nothing");
    }

    [TestMethod]
    public async Task PausingADevice_OnThePage_LetsItsNextQueryThrough_ResumingBlocksAgain()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();
        IPage page = await LogInAsync(browser, daemon, daemon.ApiToken);
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon), "strict: blocked");

        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "15 min for living-room-tv" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("living-room-tv: blocking paused for 15 min");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon), "paused: answered, only logged");
        Assert.IsTrue(daemon.Get<BlockingPause>().IsPaused("living-room-tv"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume for living-room-tv" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("living-room-tv: blocking resumed");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon), "resumed: blocked again");
    }

    [TestMethod]
    public async Task TheLiveLog_ShowsAQueryFromADevice_AsItIsAnswered()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();
        IPage page = await LogInAsync(browser, daemon, daemon.ApiToken);
        await page.GetByRole(AriaRole.Link, new() { Name = "Query log" }).ClickAsync();
        await page.Locator("#log-filter").GetByLabel("Device", new() { Exact = true }).FillAsync("living-room-tv");
        await page.GetByRole(AriaRole.Button, new() { Name = "Live" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Live: new queries appear");

        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "tracking.miui.com", "A"); // another client: filtered out
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.tracking.miui.com", "A");

        ILocator row = page.Locator("#log-rows tbody tr").First;
        await Assertions.Expect(row).ToContainTextAsync("data.tracking.miui.com");
        await Assertions.Expect(row).ToContainTextAsync("living-room-tv");
        await Assertions.Expect(row).ToContainTextAsync("blocked");
        await Assertions.Expect(page.Locator("#log-rows")).Not.ToContainTextAsync("unknown");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Live" })).ToHaveAttributeAsync("aria-pressed", "true");
    }

    [TestMethod]
    public async Task ACrossSitePost_IsRefused_AndChangesNothing()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await StartAsync(upstream);
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();
        await LogInAsync(browser, daemon, daemon.ApiToken); // the browser holds a session
        IPage evil = await browser.NewPageAsync();
        // Another site's page, as the browser sees it: a form that posts to the daemon (no preflight, no script needed).
        await evil.RouteAsync("http://evil.example/", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<form method=post action=\"{new Uri(daemon.HttpAddress, "/api/pause?minutes=60")}\"><button>go</button></form>",
        }));
        await evil.GotoAsync("http://evil.example/");

        IResponse? refused = await evil.RunAndWaitForResponseAsync(() => evil.GetByRole(AriaRole.Button, new() { Name = "go" }).ClickAsync(),
            response => response.Url.Contains("/api/pause", StringComparison.Ordinal));

        Assert.AreEqual(403, refused.Status, await refused.TextAsync());
        Assert.IsEmpty(daemon.Get<BlockingPause>().Active, "nothing was paused");
    }

    [TestMethod]
    public async Task EveryPage_AtPhoneAndDesktopWidth_IsFilledFromTheApi_Screenshots()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        await AnswerAsync(daemon); // the TV, observed: logged
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "tracking.miui.com", "A"); // unknown, strict: blocked
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "stats.new.xiaomi.com", "A"); // unclassified
        daemon.Get<QueryLogWriter>().Flush();
        foreach ((bool phone, string scheme) in new[] { (true, "light"), (false, "light"), (true, "dark") })
        {
            await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync(phone, scheme);
            IPage page = await LogInAsync(browser, daemon, daemon.ApiToken);
            string size = (phone ? "phone" : "desktop") + (scheme == "dark" ? "-dark" : "");
            await Assertions.Expect(page.Locator("#by-device")).ToContainTextAsync("living-room-tv");
            await Assertions.Expect(page.Locator("#logged-devices")).ToContainTextAsync("tracking.miui.com");
            await Assertions.Expect(page.Locator("#chart-caption")).ToContainTextAsync("1 blocked, 1 would have been blocked, 0 bypass attempts");
            await Assertions.Expect(page.Locator("#timeline rect").Nth(2)).ToBeAttachedAsync(); // blocked, logged, and the unclassified name on them (more if the queries straddle an hour)
            await Assertions.Expect(page.Locator("#glance")).ToContainTextAsync("Upstreams: all 1 up");
            await Browser.ScreenshotAsync(page, TestContext, $"overview-{size}");
            await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
            await Assertions.Expect(page.Locator("#configured")).ToContainTextAsync("has policy 'observe'");
            await Assertions.Expect(page.Locator("#clients")).ToContainTextAsync("127.0.0.3");
            await Assertions.Expect(page.Locator("#clients")).ToContainTextAsync("yes: tracking.miui.com ×1"); // the Xiaomi flag's evidence
            await Browser.ScreenshotAsync(page, TestContext, $"devices-{size}");
            await page.GetByRole(AriaRole.Link, new() { Name = "Query log" }).ClickAsync();
            await Assertions.Expect(page.Locator("#log-rows")).ToContainTextAsync("tracking.miui.com");
            await Assertions.Expect(page.Locator("#log-rows")).ToContainTextAsync(MiSinkhole.Core.Configuration.InstanceOptions.DefaultName()); // the instance that answered
            await Browser.ScreenshotAsync(page, TestContext, $"log-{size}");
            await page.GetByRole(AriaRole.Link, new() { Name = "Review" }).ClickAsync();
            await Assertions.Expect(page.Locator("#unclassified")).ToContainTextAsync("stats.new.xiaomi.com");
            await page.GetByLabel("Name to explain").FillAsync("tracking.miui.com");
            await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
            await Assertions.Expect(page.Locator("#explained")).ToContainTextAsync("tracking.miui.com: blocked for unknown");
            await Browser.ScreenshotAsync(page, TestContext, $"review-{size}");
        }
    }

    /// <summary>The living-room TV (127.0.0.2) asks for a telemetry name: its A answer.</summary>
    private static async Task<string> AnswerAsync(RunningDaemon daemon)
    {
        DigResult result = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "+short", "tracking.miui.com", "A");
        return result.Output.Trim();
    }
}
