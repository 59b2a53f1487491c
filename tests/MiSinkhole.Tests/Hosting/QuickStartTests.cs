using MiSinkhole.Core.Lists;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// The quick start (no --config) from a source checkout serves the checkout's config/rules, the
/// files a newcomer edits, and keeps its state out of the source and build trees.
/// </summary>
[TestClass]
public sealed class QuickStartTests
{
    [TestMethod]
    public void FromACheckout_RulesAreTheCheckoutsOwn_AndStateIsInXdgStateHome()
    {
        using var state = new TempDirectory();

        LoadedConfig config = ConfigLoader.Load(null, [], new Dictionary<string, string> { ["XDG_STATE_HOME"] = state.Path, ["HOME"] = "/nonexistent" });

        Assert.IsTrue(config.IsValid, string.Join("\n", config.Problems));
        string rules = RepositoryPaths.File("config", "rules") + Path.DirectorySeparatorChar;
        Assert.HasCount(15, config.Options.Lists);
        foreach (ListOptions list in config.Options.Lists)
        {
            Assert.IsTrue(list.Sources.All(s => s.StartsWith(rules, StringComparison.Ordinal)), $"{list.Name}: {string.Join(", ", list.Sources)} (not the copy in bin/)");
        }

        Assert.AreEqual(Path.Combine(state.Path, "misinkhole"), config.Options.DataDirectory);
        Assert.AreEqual(Path.Combine(state.Path, "misinkhole", "querylog.db"), config.Options.QueryLog.Path);
    }

    [TestMethod]
    public void StateDirectory_FollowsXdg_ThenHome_ThenTemp()
    {
        Assert.AreEqual("/srv/state/misinkhole", QuickStart.StateDirectory(new Dictionary<string, string> { ["XDG_STATE_HOME"] = "/srv/state", ["HOME"] = "/home/ann" }));
        Assert.AreEqual("/home/ann/.local/state/misinkhole", QuickStart.StateDirectory(new Dictionary<string, string> { ["XDG_STATE_HOME"] = "relative/not/allowed", ["HOME"] = "/home/ann" }));
        string temp = QuickStart.StateDirectory(new Dictionary<string, string>());
        Assert.IsTrue(temp.StartsWith(Path.GetTempPath(), StringComparison.Ordinal), temp);
    }

    [TestMethod]
    public void OutsideACheckout_RulesAreTheCopyNextToTheProgram()
    {
        using var published = new TempDirectory(); // as /app in the Docker image or /opt/misinkhole

        Assert.AreEqual(published.Path, QuickStart.ConfigDirectory(published.Path));
        Assert.AreEqual(RepositoryPaths.File("config"), QuickStart.ConfigDirectory(AppContext.BaseDirectory));
    }

    [TestMethod]
    public void CommandLineAndEnvironment_StillSetTheDataDirectory()
    {
        using var state = new TempDirectory();
        using var data = new TempDirectory();

        LoadedConfig config = ConfigLoader.Load(null, [$"--DataDirectory={data.Path}"], new Dictionary<string, string> { ["XDG_STATE_HOME"] = state.Path });

        Assert.AreEqual(data.Path, config.Options.DataDirectory);
    }

    [TestMethod]
    public async Task Explain_WithTheQuickStart_PointsAtTheCheckoutsRuleFile()
    {
        (int exit, string output) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com");

        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, RepositoryPaths.File("config", "rules", "xiaomi", "telemetry.txt") + ":");
    }
}
