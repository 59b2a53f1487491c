using System.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Hosting;

/// <summary>The standard <c>Logging:LogLevel</c> keys: accepted, applied to the daemon's log, and checked.</summary>
[TestClass]
public sealed class LoggingConfigTests
{
    [TestMethod]
    public async Task LogLevels_FromTheConfig_TakeEffect()
    {
        await using var upstream = new FakeUpstream { Handler = _ => FakeReply.Drop };
        using var dir = new TempDirectory();
        int port = DaemonProcess.FreePort();
        string file = dir.Write("misinkhole.json", $$"""
            {
              "Dns": { "Listen": [ "127.0.0.1:{{port}}" ] },
              "Upstreams": { "Servers": [ "{{upstream.Address}}" ], "AttemptTimeout": "200ms", "Timeout": "300ms" },
              "Http": { "Listen": "none" },
              "Logging": { "LogLevel": { "Default": "Warning", "MiSinkhole.Core.Stages.Forward": "Debug" } }
            }
            """);
        await using DaemonProcess daemon = DaemonProcess.Start(["--config", file, $"--DataDirectory={dir.Path}"]);

        // Debug lines of the forwarder appear (they never do by default) ...
        var server = new IPEndPoint(IPAddress.Loopback, port);
        for (int i = 0; !daemon.Output.Contains($"Upstream {upstream.Address} failed: timeout", StringComparison.Ordinal); i++)
        {
            Assert.IsFalse(daemon.Process.HasExited, daemon.Output);
            Assert.IsLessThan(200, i, "the forwarder's debug line never came:\n" + daemon.Output);
            await Dig.RunAsync(server, "+time=1", "+tries=1", $"q{i}.example", "A");
        }

        Assert.AreEqual(0, NativeSignal.Terminate(daemon.Process.Id));
        await daemon.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // ... and information lines of everyone else do not (Default: Warning).
        Assert.AreEqual(0, daemon.Process.ExitCode, daemon.Output);
        Assert.DoesNotContain("Answering DNS on", daemon.Output);
        Assert.DoesNotContain("info:", daemon.Output);
    }

    [TestMethod]
    public async Task UnknownLogLevel_IsAConfigError_NamingTheKey()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("misinkhole.json", """
            {
              "Logging": {
                "LogLevel": { "Default": "Warning", "MiSinkhole.Core.Lists": "Verbose" }
              }
            }
            """);

        (int exit, string output) = await DaemonProcess.RunAsync("check-config", "--config", file);
        (int goodExit, string good) = await DaemonProcess.RunAsync("check-config", "--config", file, "--Logging:LogLevel:MiSinkhole.Core.Lists=Debug");

        Assert.AreEqual(1, exit, output);
        StringAssert.Contains(output, $"{file}:3: Logging:LogLevel:MiSinkhole.Core.Lists: 'Verbose' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)");
        Assert.AreEqual(0, goodExit, good);
    }
}
