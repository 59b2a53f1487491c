using MiSinkhole.Core.Configuration;
using MiSinkhole.Rules;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

/// <summary>The Discovery section (the zone lists) and optional lists (the local decision files), as the config reader checks them.</summary>
[TestClass]
public sealed class DiscoveryConfigTests
{
    private static TestConfig Config() => new TestConfig()
        .List("xiaomi-telemetry", "/dev/null")
        .List("xiaomi-zones", "/dev/null")
        .Set("Discovery:Zones:0", "xiaomi-zones");

    private static string[] Errors(TestConfig config) =>
        [.. config.ReadWithProblems(Path.GetTempPath()).Problems.Where(p => !p.IsWarning).Select(p => p.ToString())];

    [TestMethod]
    public void Zones_TurnDiscoveryOn_UnlessTurnedOff()
    {
        SinkholeOptions on = Config().Policy("strict", block: ["xiaomi-telemetry"]).Read(Path.GetTempPath());
        SinkholeOptions off = Config().Policy("strict", block: ["xiaomi-telemetry"]).Set("Discovery:Enabled", "false").Read(Path.GetTempPath());
        SinkholeOptions none = new TestConfig().List("xiaomi-telemetry", "/dev/null").Read(Path.GetTempPath());

        Assert.AreEqual((true, "xiaomi-zones"), (on.Discovery.Enabled, on.Discovery.ActiveZones.Single()));
        Assert.AreEqual((false, 0), (off.Discovery.Enabled, off.Discovery.ActiveZones.Count));
        Assert.IsFalse(none.Discovery.Enabled);
        Assert.AreNotEqual(0UL, ActiveConfig.Compile(on).Snapshot.ZoneMask);
        Assert.AreEqual(0UL, ActiveConfig.Compile(off).Snapshot.ZoneMask);
    }

    [TestMethod]
    [DataRow("Discovery:Zones:0", "nope", "Discovery:Zones:0: no list named 'nope' (have: xiaomi-telemetry, xiaomi-zones)")]
    [DataRow("Discovery:Enabled", "maybe", "Discovery:Enabled: 'maybe' is not true or false")]
    [DataRow("Discovery:Bogus", "1", "Discovery:Bogus: unknown key (known: Zones, Enabled)")]
    public void BadDiscoveryKeys_AreErrorsNamingTheKey(string key, string value, string expected)
    {
        CollectionAssert.AreEqual(new[] { expected }, Errors(Config().Set(key, value)));
    }

    [TestMethod]
    public void DiscoveryOn_WithoutZones_IsAnError()
    {
        string[] errors = Errors(new TestConfig().List("xiaomi-telemetry", "/dev/null").Set("Discovery:Enabled", "true"));

        StringAssert.StartsWith(errors.Single(), "Discovery:Enabled: discovery is on, but Discovery:Zones names no list");
    }

    [TestMethod]
    [DataRow("Block")]
    [DataRow("Log")]
    [DataRow("Allow")]
    public void APolicyNamingAZoneList_IsAnError(string key)
    {
        TestConfig config = Config().Set($"Policies:p:{key}:0", "xiaomi-telemetry").Set($"Policies:p:{key}:1", "xiaomi-zones");

        CollectionAssert.AreEqual(
            new[] { $"Policies:p:{key}:1: 'xiaomi-zones' is a list of Xiaomi's zones (Discovery:Zones): it finds unclassified names and never blocks, logs or allows" },
            Errors(config));
    }

    [TestMethod]
    public void AGlob_SkipsZoneLists_AndWithoutPoliciesTheyBlockNothing()
    {
        SinkholeOptions globbed = Config().Policy("observe", log: ["xiaomi-*"]).Read(Path.GetTempPath());
        SinkholeOptions noPolicies = Config().Read(Path.GetTempPath());

        CollectionAssert.AreEqual(new[] { "xiaomi-telemetry" }, globbed.Policies.Single().Log.ToArray(), "xiaomi-* would otherwise log every Xiaomi name");
        CollectionAssert.AreEqual(new[] { "xiaomi-telemetry" }, noPolicies.Policies.Single().Block.ToArray(), "every list blocks, but not the zones");
    }

    [TestMethod]
    public void OptionalList_WithAMissingFile_ReadsAsEmpty_AndOthersStillNeedTheirFiles()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "local", "telemetry.txt");
        TestConfig config = new TestConfig()
            .List("local-telemetry", "local/telemetry.txt").Set("Lists:local-telemetry:Optional", "true")
            .List("typo", "local/telmetry.txt")
            .Policy("strict", block: ["local-telemetry"]);

        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = config.ReadWithProblems(dir.Path);
        (ConfigSnapshot snapshot, List<RuleListError> listErrors) = ActiveConfig.Compile(options with { Lists = [options.Lists[0]] });

        Assert.AreEqual(missing, options.Lists[0].Sources.Single(), "kept, so the list watcher sees it appear");
        Assert.AreEqual("Lists:typo:Sources:0", problems.Single().Key);
        StringAssert.Contains(problems.Single().Message, "file not found: ");
        Assert.IsEmpty(listErrors, "a missing optional file is no problem when the rules are compiled");
        Assert.AreEqual(0, snapshot.Rules.Count);
    }
}
