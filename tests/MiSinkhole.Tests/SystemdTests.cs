using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The systemd unit and the daemon's side of Type=notify, the watchdog and reload.</summary>
[TestClass]
public sealed class SystemdTests
{
    [TestMethod]
    public async Task Unit_PassesSystemdAnalyzeVerify()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Assert.Inconclusive("systemd-analyze not installed (Debian package systemd; .ci/run installs it)");
        }

        // verify checks that ExecStart's program exists: point it at the build's misinkhole.
        using var dir = new TempDirectory();
        string unit = File.ReadAllText(RepositoryPaths.File("systemd", "misinkhole.service"))
            .Replace("/opt/misinkhole/misinkhole", Path.Combine(AppContext.BaseDirectory, "misinkhole"), StringComparison.Ordinal);
        dir.Write("misinkhole.service", unit);
        var start = new ProcessStartInfo("systemd-analyze", ["verify", Path.Combine(dir.Path, "misinkhole.service")]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process verify = Process.Start(start)!;
        string output = await verify.StandardOutput.ReadToEndAsync() + await verify.StandardError.ReadToEndAsync();
        await verify.WaitForExitAsync();

        Assert.AreEqual(0, verify.ExitCode, output);
        Assert.AreEqual("", output.Trim(), "no warnings either");
        StringAssert.Contains(unit, "Type=notify");
        StringAssert.Contains(unit, "AmbientCapabilities=CAP_NET_BIND_SERVICE");
        StringAssert.Contains(unit, "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK");
    }

    [TestMethod]
    public async Task Daemon_SaysReadyThenFeedsTheWatchdog_AndReloadsOnSighup()
    {
        using var dir = new TempDirectory();
        string socketPath = Path.Combine(dir.Path, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        dir.Write("misinkhole.json", """{ "Dns": { "Listen": [ "127.0.0.1:0" ] }, "Http": { "Listen": "none" } }""");
        await using DaemonProcess daemon = DaemonProcess.Start(
            ["--config", Path.Combine(dir.Path, "misinkhole.json"), "--Upstreams:Servers:0=127.0.0.1:9", $"--DataDirectory={dir.Path}"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "200000" });

        var messages = new List<string>();
        byte[] buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (messages.Count(m => m == "WATCHDOG=1") < 2)
        {
            int length = await notify.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            messages.Add(Encoding.ASCII.GetString(buffer, 0, length));
        }

        Assert.AreEqual("READY=1", messages[0], "ready first, once the listeners are bound: " + daemon.Output);
        await daemon.WaitForOutputAsync("Answering DNS on", TimeSpan.FromSeconds(5)); // logged before READY=1 was sent

        Assert.AreEqual(0, NativeSignal.Hangup(daemon.Process.Id));
        await daemon.WaitForOutputAsync("changed: applied", TimeSpan.FromSeconds(10));
        Assert.IsFalse(daemon.Process.HasExited, "SIGHUP reloads, it does not stop the daemon");
    }

    [TestMethod]
    public async Task InstallScript_PutsProgramConfigAndUnitInPlace_AndKeepsAnExistingConfig()
    {
        using var root = new TempDirectory();
        root.Write("etc/misinkhole/keep.txt", "");
        string publish = AppContext.BaseDirectory; // holds the misinkhole program of this build
        var start = new ProcessStartInfo("sh", [RepositoryPaths.File("systemd", "install.sh"), publish]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DESTDIR"] = root.Path;
        using Process install = Process.Start(start)!;
        string output = await install.StandardOutput.ReadToEndAsync() + await install.StandardError.ReadToEndAsync();
        await install.WaitForExitAsync();

        Assert.AreEqual(0, install.ExitCode, output);
        Assert.IsTrue(File.Exists(Path.Combine(root.Path, "opt/misinkhole/misinkhole")));
        Assert.IsTrue(File.Exists(Path.Combine(root.Path, "etc/misinkhole/misinkhole.json")));
        Assert.IsTrue(File.Exists(Path.Combine(root.Path, "etc/misinkhole/rules/xiaomi/telemetry.txt")));
        Assert.AreEqual(File.ReadAllText(RepositoryPaths.File("systemd", "misinkhole.service")), File.ReadAllText(Path.Combine(root.Path, "etc/systemd/system/misinkhole.service")));

        Assert.IsFalse(Directory.Exists(Path.Combine(root.Path, "etc/misinkhole/rules/local")), "no review decisions are shipped");

        File.WriteAllText(Path.Combine(root.Path, "etc/misinkhole/misinkhole.json"), "{ \"DefaultPolicy\": \"mine\" }");
        root.Write("etc/misinkhole/rules/local/telemetry.txt", "mine.xiaomi.com\n");
        using Process again = Process.Start(start)!;
        await again.WaitForExitAsync();
        Assert.AreEqual("{ \"DefaultPolicy\": \"mine\" }", File.ReadAllText(Path.Combine(root.Path, "etc/misinkhole/misinkhole.json")), "a second install keeps the user's config");
        Assert.AreEqual("mine.xiaomi.com\n", File.ReadAllText(Path.Combine(root.Path, "etc/misinkhole/rules/local/telemetry.txt")), "and the user's review decisions");
    }
}
