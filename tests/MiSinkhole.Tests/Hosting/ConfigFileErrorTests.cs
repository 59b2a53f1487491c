using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// What a person sees for a broken config file, at start (check-config, run) and on hot reload:
/// file:line:column and what is wrong in plain words, never a framework resource key.
/// </summary>
[TestClass]
public sealed class ConfigFileErrorTests
{
    private const string MissingComma = """
        {
          "Dns": { "Listen": [ "127.0.0.1:0" ] }
          "Http": { "Listen": "none" }
        }
        """;

    private const string Expected = ":3:3: expected ',' or '}' after a property value, found '\"Http\"' (a comma missing at the end of line 2?)";

    [TestMethod]
    public async Task MissingComma_CheckConfigAndRun_SayFileLineColumn()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("misinkhole.json", MissingComma);

        (int checkExit, string check) = await DaemonProcess.RunAsync("check-config", "--config", file);
        (int runExit, string run) = await DaemonProcess.RunAsync("run", "--config", file);

        Assert.AreEqual(1, checkExit, check);
        StringAssert.Contains(check, file + Expected);
        Assert.AreEqual(1, runExit, run);
        StringAssert.Contains(run, file + Expected);
        StringAssert.Contains(run, "not starting");
        Assert.DoesNotContain("Error_", check + run, "no framework resource key reaches a person");
    }

    [TestMethod]
    public async Task MissingComma_OnHotReload_IsRefusedWithFileLineColumn()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        string file = dir.Write("misinkhole.json", """{ "Dns": { "Listen": [ "127.0.0.1:0" ] } }""");
        await using RunningDaemon daemon = await RunningDaemon.StartFromFileAsync(file, $"--Upstreams:Servers:0={upstream.Address}");

        dir.Write("misinkhole.json", MissingComma);
        ConfigReloadResult result = daemon.Get<ConfigWatcher>().Apply();

        Assert.IsFalse(result.Applied);
        Assert.AreEqual(file + Expected, result.Problems.Single().ToString());
    }

    [TestMethod]
    public async Task ConfigFileNamedWithALeadingDot_IsReadLikeAnyOther()
    {
        using var dir = new TempDirectory();
        dir.Write("rules.txt", "tracker.example\n");
        string file = dir.Write(".local.json", """{ "Dns": { "Listen": [ "127.0.0.1:0" ] }, "Http": { "Listen": "none" }, "Lists": { "mine": { "Sources": [ "rules.txt" ] } } }""");

        (int checkExit, string check) = await DaemonProcess.RunAsync("check-config", "--config", file);
        (int explainExit, string explain) = await DaemonProcess.RunAsync("explain", "tracker.example", "--config", file);

        Assert.AreEqual(0, checkExit, check);
        StringAssert.Contains(check, $"{file}: 1 lists, 1 names");
        Assert.AreEqual(0, explainExit, explain);
        StringAssert.Contains(explain, "blocked by list 'mine'");
    }

    [TestMethod]
    public void TheDaemon_KeepsTheFrameworksOwnMessages()
    {
        // UseSystemResourceKeys would replace every message of .NET's own exceptions with its
        // resource key (Error_FileNotFound): the switch is process-wide, so it stays off.
        string runtimeConfig = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "misinkhole.runtimeconfig.json"));

        Assert.DoesNotContain("\"System.Resources.UseSystemResourceKeys\": true", runtimeConfig);
    }
}
