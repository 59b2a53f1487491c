using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.TestKit;

/// <summary>The test fixture itself: a daemon started from a file of the repository keeps its state outside the source tree.</summary>
[TestClass]
public sealed class RunningDaemonTests
{
    [TestMethod]
    public async Task StartedFromTheRepositoryConfig_WritesNothingIntoTheRepository()
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartFromFileAsync(
            RepositoryPaths.File("config", "misinkhole.json"), "--Dns:Listen:0=127.0.0.1:0", $"--Upstreams:Servers:0={upstream.Address}");
        SinkholeOptions options = daemon.Get<SinkholeOptions>();

        string root = RepositoryPaths.Root + Path.DirectorySeparatorChar;
        Assert.IsFalse(options.DataDirectory.StartsWith(root, StringComparison.Ordinal), options.DataDirectory);
        Assert.IsFalse(options.QueryLog.Path.StartsWith(root, StringComparison.Ordinal), options.QueryLog.Path);
        Assert.AreEqual(daemon.Directory.Path, options.DataDirectory);
    }
}
