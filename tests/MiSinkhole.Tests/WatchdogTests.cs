using System.Net.Sockets;
using System.Text;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// The systemd watchdog through a real notify socket (a Unix datagram socket this test listens on
/// as NOTIFY_SOCKET) and the built daemon: it is fed only after the daemon's own UDP listener has
/// answered a probe, so freezing the receive threads (ptrace, the rest of the process running on)
/// stops the feeding, and it comes back once they run again.
/// </summary>
[TestClass]
public sealed class WatchdogTests
{
    [TestMethod]
    public async Task Watchdog_IsFedOnlyWhileTheUdpListenerAnswers_AHungReceiveThreadStopsIt()
    {
        using var dir = new TempDirectory();
        string socketPath = Path.Combine(dir.Path, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        dir.Write("misinkhole.json", """{ "Dns": { "Listen": [ "127.0.0.1:0" ], "UdpThreads": 2 }, "Http": { "Listen": "none" } }""");
        await using DaemonProcess daemon = DaemonProcess.Start(
            ["--config", Path.Combine(dir.Path, "misinkhole.json"), "--Upstreams:Servers:0=127.0.0.1:9", $"--DataDirectory={dir.Path}"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "2000000" }); // a tick a second, probes answered within half of it
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var messages = new List<string>();
        async Task<string> NextAsync()
        {
            byte[] buffer = new byte[512];
            int length = await notify.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            messages.Add(Encoding.ASCII.GetString(buffer, 0, length));
            return messages[^1];
        }

        while (await NextAsync() != "WATCHDOG=1")
        {
        }

        Assert.AreEqual("READY=1", messages[0], "ready first, then the watchdog: " + string.Join(", ", messages));
        IReadOnlyList<int> receivers = ThreadFreezer.Threads(daemon.Process.Id, "dns-udp-");
        Assert.HasCount(2, receivers, "the UDP receive threads, by name");

        (ThreadFreezer freezer, Task<int> frozen) = ThreadFreezer.Freeze(receivers);
        using (freezer)
        {
            int error = await frozen.WaitAsync(timeout.Token);
            if (error != 0)
            {
                Assert.Inconclusive($"ptrace is not permitted here (errno {error})");
            }

            // A probe may have been answered just before the threads stopped; from the first
            // failed probe on, nothing feeds the watchdog until the next failed probe says so again.
            while (!(await NextAsync()).StartsWith("STATUS=Not feeding the watchdog", StringComparison.Ordinal))
            {
            }

            StringAssert.Contains(messages[^1], "(UDP): no answer within");
            int first = messages.Count;
            while (!(await NextAsync()).StartsWith("STATUS=Not feeding the watchdog", StringComparison.Ordinal))
            {
            }

            CollectionAssert.DoesNotContain(messages[first..], "WATCHDOG=1", "a hung receive thread is not fed: " + string.Join(", ", messages));
            Assert.IsFalse(daemon.Process.HasExited);
        }

        // Running again: fed again, and the status says so.
        int thawed = messages.Count;
        while (await NextAsync() != "STATUS=Serving DNS")
        {
        }

        CollectionAssert.Contains(messages[thawed..], "WATCHDOG=1", "fed again once the listener answers");
        await daemon.WaitForOutputAsync("Watchdog: not fed, the DNS listener", TimeSpan.FromSeconds(5));
    }
}
