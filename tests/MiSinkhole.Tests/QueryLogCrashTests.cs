using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The query log after the daemon is killed with SIGKILL in the middle of traffic.</summary>
[TestClass]
public sealed class QueryLogCrashTests
{
    [TestMethod]
    public async Task KilledUnderLoad_TheDatabaseOpens_AndHoldsEveryEventOlderThanOneFlushInterval()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        int port = DaemonProcess.FreePort();
        TimeSpan flushInterval = TimeSpan.FromMilliseconds(200);
        await using DaemonProcess daemon = DaemonProcess.Start(
        [
            $"--Dns:Listen:0=127.0.0.1:{port}", "--Http:Listen=none", $"--Upstreams:Servers:0={upstream.Address}",
            $"--DataDirectory={data.Path}", "--QueryLog:Record=All", $"--QueryLog:FlushInterval={flushInterval.TotalMilliseconds}ms",
        ]);
        await daemon.WaitForOutputAsync("Answering DNS on", TimeSpan.FromSeconds(30));
        var server = new IPEndPoint(IPAddress.Loopback, port);

        // Two clients query distinct names as fast as they are answered; each answer's time is noted.
        var answered = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        Task[] load = [.. Enumerable.Range(0, 2).Select(client => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string name = $"q{client}-{i}.example";
                if (await RawClient.UdpAsync(server, RawMessage.Query(name, 1, (ushort)i), TimeSpan.FromSeconds(1)) is not null)
                {
                    answered[name] = Stopwatch.GetTimestamp();
                }
            }
        }))];
        // Kill once several flushes' worth of answers are older than two flush intervals, and the load still runs.
        for (var deadline = Stopwatch.StartNew(); OlderThan(answered, flushInterval * 2) < 500; await Task.Delay(20))
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(30), deadline.Elapsed, $"only {answered.Count} answers in 30 s");
        }

        Assert.AreEqual(0, NativeSignal.Kill(daemon.Process.Id));
        long killed = Stopwatch.GetTimestamp();
        await daemon.Process.WaitForExitAsync();
        await stop.CancelAsync();
        await Task.WhenAll(load);

        string[] mustBeThere = [.. answered.Where(a => Stopwatch.GetElapsedTime(a.Value, killed) > flushInterval * 2).Select(a => a.Key)];
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "querylog.db")};Pooling=False");
        connection.Open();
        using SqliteCommand check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.AreEqual("ok", check.ExecuteScalar());
        using SqliteCommand names = connection.CreateCommand();
        names.CommandText = "SELECT name FROM queries";
        var logged = new HashSet<string>();
        using (SqliteDataReader reader = names.ExecuteReader())
        {
            while (reader.Read())
            {
                logged.Add(reader.GetString(0));
            }
        }

        Assert.IsGreaterThan(200, mustBeThere.Length, "enough traffic before the kill");
        string[] missing = [.. mustBeThere.Where(n => !logged.Contains(n))];
        Assert.IsEmpty(missing, $"{missing.Length} of {mustBeThere.Length} answered queries older than two flush intervals are not in the log, e.g. {string.Join(", ", missing.Take(5))}");
    }

    private static int OlderThan(System.Collections.Concurrent.ConcurrentDictionary<string, long> answered, TimeSpan age) =>
        answered.Values.Count(at => Stopwatch.GetElapsedTime(at) > age);
}
