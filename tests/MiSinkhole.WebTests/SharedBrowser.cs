namespace MiSinkhole.WebTests;

/// <summary>One headless Chromium for every test of the assembly (each test opens its own context: its own cookies).</summary>
[TestClass]
public static class SharedBrowser
{
    private static Browser? s_browser;

    internal static Browser Instance => s_browser ?? throw new InvalidOperationException("the browser was not launched");

    [AssemblyInitialize]
    public static async Task LaunchAsync(TestContext _) => s_browser = await Browser.LaunchAsync();

    [AssemblyCleanup]
    public static async Task CloseAsync()
    {
        if (s_browser is not null)
        {
            await s_browser.DisposeAsync();
        }
    }
}
