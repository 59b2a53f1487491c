using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The query log after the daemon is killed with SIGKILL in the middle of traffic: it opens, and what was committed is there.</summary>
[TestClass]
public sealed class QueryLogCrashTests
{
    [TestMethod]
    public async Task KilledUnderLoad_TheDatabaseOpens_AndHoldsEveryCommittedEvent()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        int port = DaemonProcess.FreePort();
        await using DaemonProcess daemon = DaemonProcess.Start(
        [
            $"--Dns:Listen:0=127.0.0.1:{port}", "--Http:Listen=none", $"--Upstreams:Servers:0={upstream.Address}",
            $"--DataDirectory={data.Path}", "--QueryLog:Record=All", "--QueryLog:FlushInterval=200ms",
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
        // Kill while the load runs, once the log (read beside the writer: WAL) holds 500 answered
        // names: what the writer had committed by then must survive the kill. Not a time bound on
        // the writer, which a loaded machine can delay, but its promise: a committed flush stays.
        string database = Path.Combine(data.Path, "querylog.db");
        HashSet<string> committed = [];
        for (var deadline = Stopwatch.StartNew(); committed.Count < 500; await Task.Delay(20))
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(60), deadline.Elapsed, $"{answered.Count} answers, {committed.Count} of them logged in 60 s");
            committed = File.Exists(database) ? [.. LoggedNames(database, readOnly: true).Where(answered.ContainsKey)] : [];
        }

        Assert.AreEqual(0, NativeSignal.Kill(daemon.Process.Id));
        await daemon.Process.WaitForExitAsync();
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.IsFalse(load.Any(t => t.IsFaulted), "the load ran until the kill");

        using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.AreEqual("ok", check.ExecuteScalar());
        }

        HashSet<string> logged = LoggedNames(database, readOnly: false);
        string[] missing = [.. committed.Where(n => !logged.Contains(n))];
        Assert.IsEmpty(missing, $"{missing.Length} of {committed.Count} names committed before the kill are not in the log after it, e.g. {string.Join(", ", missing.Take(5))}");
    }

    private static HashSet<string> LoggedNames(string database, bool readOnly)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False{(readOnly ? ";Mode=ReadOnly" : "")}");
        connection.Open();
        using SqliteCommand names = connection.CreateCommand();
        names.CommandText = "SELECT name FROM queries";
        var logged = new HashSet<string>();
        try
        {
            using SqliteDataReader reader = names.ExecuteReader();
            while (reader.Read())
            {
                logged.Add(reader.GetString(0));
            }
        }
        catch (SqliteException) when (readOnly)
        {
            // The schema is not written yet: nothing committed.
        }

        return logged;
    }
}
