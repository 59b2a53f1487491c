using System.Globalization;
using Microsoft.Playwright;
using MiSinkhole.Core.Devices;
using MiSinkhole.TestKit;

namespace MiSinkhole.WebTests;

/// <summary>
/// The page's changes end to end in headless Chromium, against a daemon on a config file as a
/// user has one: switching the TV to strict blocks its next query (and the file says so, with the
/// user's comment kept); a refused change shows why; filing an unclassified name blocks it; naming
/// an unknown client makes it a device, paused until a time.
/// </summary>
[TestClass]
public sealed class WebSettingsTests
{
    public TestContext TestContext { get; set; } = null!;

    private static async Task<IPage> OpenAsync(IBrowserContext context, RunningDaemon daemon, string page)
    {
        IPage tab = await context.NewPageAsync();
        await tab.GotoAsync(daemon.HttpAddress.ToString());
        await tab.GetByLabel("API token or web password").FillAsync(daemon.ApiToken);
        await tab.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await tab.GetByRole(AriaRole.Link, new() { Name = page }).ClickAsync();
        return tab;
    }

    private static async Task<string> AnswerAsync(RunningDaemon daemon, string from, string name = "tracking.miui.com") =>
        (await Dig.RunAsync(daemon.EndPoint, "-b", from, "+short", name, "A")).Output.Trim();

    [TestMethod]
    public async Task SwitchingTheTvToStrict_BlocksItsNextQuery_AndTheFileSaysSo()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync(phone: true);
        IPage page = await OpenAsync(browser, daemon, "Devices");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon, "127.0.0.2"), "observe: answered, only logged");
        await Assertions.Expect(page.Locator("#config-file")).ToContainTextAsync(household.File);

        await page.GetByLabel($"Policy for {HouseholdConfig.Tv}").SelectOptionAsync("strict");

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{HouseholdConfig.Tv}: policy strict");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon, "127.0.0.2"), "strict: blocked");
        await Assertions.Expect(page.Locator("#configured")).ToContainTextAsync($"strict: device '{HouseholdConfig.Tv}' has policy 'strict'");
        StringAssert.Contains(household.Text, "\"Policy\": \"strict\"");
        StringAssert.Contains(household.Text, HouseholdConfig.Comment, "the user's comment stays");
        await Browser.ScreenshotAsync(page, TestContext, "devices-switched-phone");
    }

    [TestMethod]
    public async Task ARefusedChange_ShowsWhyOnThePage()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync($"--Devices:{HouseholdConfig.Tv}:Policy=observe");
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();
        IPage page = await OpenAsync(browser, daemon, "Devices");
        string before = household.Text;

        await page.GetByLabel($"Policy for {HouseholdConfig.Tv}").SelectOptionAsync("max");

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("refused");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("command line");
        await Assertions.Expect(page.GetByLabel($"Policy for {HouseholdConfig.Tv}")).ToHaveValueAsync("observe");
        Assert.AreEqual(before, household.Text, "nothing written");
    }

    [TestMethod]
    public async Task FilingAnUnclassifiedName_OnThePage_BlocksIt()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon, "127.0.0.7", "stats.new.xiaomi.com"), "unclassified: answered");
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync(phone: true);
        IPage page = await OpenAsync(browser, daemon, "Review");
        await Assertions.Expect(page.Locator("#unclassified")).ToContainTextAsync("stats.new.xiaomi.com");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "File stats.new.xiaomi.com as telemetry" })).ToHaveClassAsync("suggested");
        await Browser.ScreenshotAsync(page, TestContext, "review-unclassified-phone");

        await page.GetByRole(AriaRole.Button, new() { Name = "File stats.new.xiaomi.com as telemetry" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("local-telemetry");
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon, "127.0.0.7", "stats.new.xiaomi.com"), "strict (the default) blocks it now");
        await Assertions.Expect(page.Locator("#unclassified")).Not.ToContainTextAsync("stats.new.xiaomi.com");
    }

    [TestMethod]
    public async Task NamingAnUnknownClient_MakesItADevice_PausedUntilATime()
    {
        await using var upstream = new FakeUpstream();
        using var household = new HouseholdConfig(upstream.Address);
        await using RunningDaemon daemon = await household.StartAsync();
        Assert.AreEqual("0.0.0.0", await AnswerAsync(daemon, "127.0.0.7"), "unknown: strict, the default");
        await using IBrowserContext browser = await SharedBrowser.Instance.NewAsync();
        IPage page = await OpenAsync(browser, daemon, "Devices");

        await page.GetByLabel("Name for 127.0.0.7").FillAsync("kids-tablet");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add device 127.0.0.7" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("kids-tablet: added as a device");
        await Assertions.Expect(page.GetByLabel("Policy for kids-tablet")).ToHaveValueAsync("strict");
        StringAssert.Contains(household.Text, "\"kids-tablet\": { \"Match\": [ \"127.0.0.7\" ] }");

        DateTime until = DateTime.Now.AddHours(2);
        await page.GetByLabel("Pause kids-tablet until", new() { Exact = true }).FillAsync(until.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause kids-tablet until that time" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("kids-tablet: blocking paused until");
        Assert.IsTrue(daemon.Get<BlockingPause>().Active.TryGetValue("kids-tablet", out DateTimeOffset end), "paused");
        Assert.IsTrue(Math.Abs((end.LocalDateTime - until).TotalMinutes) < 1.5, $"until {end.LocalDateTime}, asked {until}");
        Assert.AreEqual("192.0.2.1", await AnswerAsync(daemon, "127.0.0.7"), "paused: answered");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume for kids-tablet" })).ToBeVisibleAsync();
    }
}
