using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Hosting;

/// <summary>A reload says what it changed (lists, policies, devices, settings), not just "applied".</summary>
[TestClass]
public sealed class ConfigReloadChangesTests
{
    private static string Config(string devices, string strictBlock, string extraList = "") => $$"""
        {
          "Lists": {
            "telemetry": { "Sources": [ "t.txt" ] },
            "ads": { "Sources": [ "a.txt" ] }{{extraList}}
          },
          "Policies": {
            "strict": { "Block": [ {{strictBlock}} ] },
            "observe": { "Log": [ "telemetry" ] }
          },
          "DefaultPolicy": "strict",
          "Devices": { {{devices}} }
        }
        """;

    [TestMethod]
    public void Reload_LogsWhichListsPoliciesAndDevicesChanged()
    {
        using var dir = new TempDirectory();
        dir.Write("t.txt", "t.example\n");
        dir.Write("a.txt", "a.example\n");
        dir.Write("c.txt", "c.example\n");
        string file = dir.Write("misinkhole.json", Config("\"old-phone\": { \"Match\": [ \"192.168.1.20\" ] }", "\"telemetry\""));
        var source = new ConfigFileSource(file, [$"--DataDirectory={dir.Path}"], new Dictionary<string, string>());
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(source.Load().Options);
        var logger = new FakeLogger<ConfigWatcher>();
        using var watcher = new ConfigWatcher(source, engine, TimeProvider.System, logger);

        dir.Write("misinkhole.json", Config(
            "\"kids-tablet\": { \"Match\": [ \"192.168.1.30\" ], \"Policy\": \"observe\" }",
            "\"telemetry\", \"ads\"",
            extraList: ", \"crash\": { \"Sources\": [ \"c.txt\" ] }").Replace("\"DefaultPolicy\": \"strict\"", "\"DefaultPolicy\": \"observe\"", StringComparison.Ordinal));
        ConfigReloadResult changed = watcher.Apply();
        string changedLog = logger.LatestRecord.Message;
        ConfigReloadResult same = watcher.Apply();

        Assert.IsTrue(changed.Applied, string.Join("\n", changed.Problems));
        CollectionAssert.AreEqual(
            new[] { "DefaultPolicy changed", "Devices: added kids-tablet, removed old-phone", "Lists: added crash", "Policies: changed strict" },
            changed.Changes.ToArray());
        Assert.AreEqual($"Config {file} changed: applied (DefaultPolicy changed; Devices: added kids-tablet, removed old-phone; Lists: added crash; Policies: changed strict)", changedLog);
        Assert.AreEqual(LogLevel.Information, logger.LatestRecord.Level);
        Assert.IsEmpty(same.Changes);
        Assert.AreEqual($"Config {file} changed: applied (no setting changed)", logger.LatestRecord.Message);
    }

    [TestMethod]
    public void Reload_OfARestartOnlySetting_SaysWhatChangedAndThatItWaits()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("misinkhole.json", """{ "Cache": { "MaxEntries": 10 } }""");
        var source = new ConfigFileSource(file, [$"--DataDirectory={dir.Path}"], new Dictionary<string, string>());
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(source.Load().Options);
        var logger = new FakeLogger<ConfigWatcher>();
        using var watcher = new ConfigWatcher(source, engine, TimeProvider.System, logger);

        dir.Write("misinkhole.json", """{ "Cache": { "MaxEntries": 20 }, "Logging": { "LogLevel": { "Default": "Warning" } } }""");
        ConfigReloadResult result = watcher.Apply();

        CollectionAssert.AreEqual(new[] { "Cache: changed MaxEntries", "Logging added" }, result.Changes.ToArray());
        CollectionAssert.AreEqual(new[] { "Cache", "Logging" }, result.NeedRestart.ToArray());
        Assert.AreEqual("Config changes in Cache, Logging take effect at the next restart", logger.LatestRecord.Message);
    }
}
