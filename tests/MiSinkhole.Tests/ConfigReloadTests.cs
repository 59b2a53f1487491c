using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Editing the config file of a running daemon: valid changes apply, invalid ones are refused.</summary>
[TestClass]
public sealed class ConfigReloadTests
{
    private static string Config(string phonePolicy, string extra = "") => $$"""
        {
          "Lists": { "xiaomi-telemetry": { "Sources": [ "telemetry.txt" ] } },
          "Policies": {
            "strict": { "Block": [ "xiaomi-telemetry" ] },
            "observe": { "Log": [ "xiaomi-telemetry" ] }
          },
          "DefaultPolicy": "strict",
          "Devices": { "phone": { "Match": [ "127.0.0.2" ], "Policy": "{{phonePolicy}}" } }{{extra}}
        }
        """;

    private static async Task<(RunningDaemon Daemon, TempDirectory Dir)> StartAsync(FakeUpstream upstream)
    {
        var dir = new TempDirectory();
        dir.Write("telemetry.txt", "data.mistat.xiaomi.com\n");
        dir.Write("misinkhole.json", Config("strict"));
        RunningDaemon daemon = await RunningDaemon.StartFromFileAsync(
            Path.Combine(dir.Path, "misinkhole.json"), "--Dns:Listen:0=127.0.0.1:0", $"--Upstreams:Servers:0={upstream.Address}");
        return (daemon, dir);
    }

    private static async Task<ConfigReloadResult> RewriteAndWaitAsync(RunningDaemon daemon, TempDirectory dir, string content)
    {
        var reloaded = new TaskCompletionSource<ConfigReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = daemon.Get<ConfigWatcher>();
        watcher.Reloaded += result => reloaded.TrySetResult(result);
        dir.Write("misinkhole.json", content);
        return await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [TestMethod]
    public async Task ValidChange_AppliesWithoutRestart()
    {
        await using var upstream = new FakeUpstream();
        (RunningDaemon daemon, TempDirectory dir) = await StartAsync(upstream);
        using (dir)
        await using (daemon)
        {
            DigResult before = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");

            ConfigReloadResult result = await RewriteAndWaitAsync(daemon, dir, Config("observe", extra: """, "Cache": { "MaxEntries": 5 }""").Replace("\"Policy\": \"observe\" }", "\"Policy\": \"observe\" }, \"NameServer\": \"127.0.0.1\"", StringComparison.Ordinal));
            DigResult after = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");

            Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", before.Answers.Single());
            Assert.IsTrue(result.Applied, string.Join("\n", result.Problems));
            CollectionAssert.AreEqual(new[] { "Cache", "Devices:NameServer" }, result.NeedRestart.ToArray(), "read at start only, and says so");
            Assert.AreEqual("data.mistat.xiaomi.com. 300 IN A 192.0.2.1", after.Answers.Single(), "the phone is now only observed");
        }
    }

    [TestMethod]
    public async Task InvalidChange_IsRefusedWithItsErrors_AndTheRunningConfigStays()
    {
        await using var upstream = new FakeUpstream();
        (RunningDaemon daemon, TempDirectory dir) = await StartAsync(upstream);
        using (dir)
        await using (daemon)
        {
            ConfigReloadResult unknownPolicy = await RewriteAndWaitAsync(daemon, dir, Config("lenient"));
            DigResult after = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
            ConfigReloadResult brokenJson = await RewriteAndWaitAsync(daemon, dir, Config("observe")[..^5]);
            DigResult afterBroken = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");

            Assert.IsFalse(unknownPolicy.Applied);
            ConfigError problem = unknownPolicy.Problems.Single();
            Assert.AreEqual("Devices:phone:Policy", problem.Key);
            Assert.AreEqual(8, problem.Line, "the line of the bad value in the file");
            Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", after.Answers.Single(), "still the old policy");
            Assert.IsFalse(brokenJson.Applied);
            Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", afterBroken.Answers.Single());
        }
    }

    [TestMethod]
    public async Task Reloads_DropNoQuery()
    {
        await using var upstream = new FakeUpstream();
        (RunningDaemon daemon, TempDirectory dir) = await StartAsync(upstream);
        using (dir)
        await using (daemon)
        {
            int blocked = 0, forwarded = 0, other = 0;
            var odd = new System.Collections.Concurrent.ConcurrentBag<string>();
            Task load = Task.Run(async () =>
            {
                for (ushort id = 1; id <= 300; id++)
                {
                    // From the phone, whose policy the reloads switch between strict and observe:
                    // every answer must be one config's or the other's, never a mix or nothing.
                    byte[]? answer = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("data.mistat.xiaomi.com", 1, id), TimeSpan.FromSeconds(3), System.Net.IPAddress.Parse("127.0.0.2"));
                    byte[] address = answer is { Length: > 4 } ? answer[^4..] : [];
                    _ = address.SequenceEqual(new byte[] { 0, 0, 0, 0 }) ? Interlocked.Increment(ref blocked)
                        : address.SequenceEqual(new byte[] { 192, 0, 2, 1 }) ? Interlocked.Increment(ref forwarded)
                        : Record(answer);
                    int Record(byte[]? odd1)
                    {
                        odd.Add(odd1 is null ? "no answer" : $"rcode {odd1[3] & 0xF}, {odd1.Length} bytes");
                        return Interlocked.Increment(ref other);
                    }
                }
            });
            var watcher = daemon.Get<ConfigWatcher>();
            int reloads = 0;
            while (!load.IsCompleted)
            {
                dir.Write("misinkhole.json", Config(reloads % 2 == 0 ? "observe" : "strict"));
                Assert.IsTrue(watcher.Apply().Applied);
                reloads++;
            }

            await load;

            Assert.AreEqual(0, other, "no query lost or answered from half a config: " + string.Join("; ", odd));
            Assert.AreEqual(300, blocked + forwarded);
            Assert.IsGreaterThan(0, blocked);
            Assert.IsGreaterThanOrEqualTo(3, reloads, "queries ran while the config was swapped again and again");
        }
    }
}
