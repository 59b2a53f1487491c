using Microsoft.Playwright;

namespace MiSinkhole.WebTests;

/// <summary>
/// Debian's Chromium (<c>apt-get install chromium</c>), headless, through Playwright; one per test
/// class. Screenshots go to the test results folder, and also to <c>MISINKHOLE_SCREENSHOTS</c>
/// when set (how README's image is made).
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        _playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"no {ChromiumPath}: apt-get install chromium");
        }

        IPlaywright playwright = await Playwright.CreateAsync();
        IBrowser chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        return new Browser(playwright, chromium);
    }

    /// <summary>A fresh profile (no cookies) at phone (390×844) or desktop (1280×800) size.</summary>
    public Task<IBrowserContext> NewAsync(bool phone = false, string colorScheme = "light") =>
        Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = colorScheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
        });

    /// <summary>Saves a full-page screenshot as NAME.png and returns where.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, TestContext context, string name)
    {
        string folder = Path.Combine(context.TestRunResultsDirectory ?? Path.GetTempPath(), "screenshots");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        context.AddResultFile(path);
        if (Environment.GetEnvironmentVariable("MISINKHOLE_SCREENSHOTS") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            File.Copy(path, Path.Combine(keep, name + ".png"), overwrite: true);
        }

        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
