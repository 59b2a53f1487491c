using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.QueryLog;

[TestClass]
public sealed class QueryLogWriterTests
{
    private static QueryContext Query(string name)
    {
        var context = new QueryContext { Client = ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.9")) };
        byte[] wire = DnsName.FromText(name);
        wire.CopyTo(context.LowerName, 0);
        context.Query.NameLength = wire.Length;
        context.Query.Type = DnsRecordType.A;
        return context;
    }

    private static long Count(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using SqliteCommand count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM queries";
        return (long)count.ExecuteScalar()!;
    }

    [TestMethod]
    public void FullQueue_DropsAndCounts_WithoutBlocking()
    {
        using var dir = new TempDirectory();
        var options = new SinkholeOptions { QueryLog = new QueryLogOptions { Path = Path.Combine(dir.Path, "q.db"), Record = QueryLogRecordMode.All, QueueSize = 100 } };
        var writer = new QueryLogWriter(options, new FakeTimeProvider(), NullLogger<QueryLogWriter>.Instance, TestMeters.Factory());

        for (int i = 0; i < 150; i++)
        {
            writer.Record(Query($"n{i}.example"), Outcome.Forwarded, 1.5);
        }

        Assert.AreEqual(50, writer.Dropped);
        Assert.AreEqual(100, writer.Flush());
        Assert.AreEqual(100, Count(options.QueryLog.Path));
    }

    [TestMethod]
    public void Retention_DeletesRowsOlderThanItKeeps()
    {
        using var dir = new TempDirectory();
        var options = new SinkholeOptions { QueryLog = new QueryLogOptions { Path = Path.Combine(dir.Path, "q.db"), Record = QueryLogRecordMode.All, Retention = TimeSpan.FromDays(7) } };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var writer = new QueryLogWriter(options, time, NullLogger<QueryLogWriter>.Instance, TestMeters.Factory());
        writer.Record(Query("old.example"), Outcome.Forwarded, 1);
        time.Advance(TimeSpan.FromDays(6));
        writer.Record(Query("newer.example"), Outcome.Forwarded, 1);
        writer.Flush();

        time.Advance(TimeSpan.FromDays(1.5));
        int deleted = writer.DeleteExpired(force: true);

        Assert.AreEqual(1, deleted);
        Assert.AreEqual(1, Count(options.QueryLog.Path));
    }

    [TestMethod]
    public void PolicyMatchesMode_IgnoresQueriesNoListDecided()
    {
        using var dir = new TempDirectory();
        var options = new SinkholeOptions { QueryLog = new QueryLogOptions { Path = Path.Combine(dir.Path, "q.db") } };
        var writer = new QueryLogWriter(options, new FakeTimeProvider(), NullLogger<QueryLogWriter>.Instance, TestMeters.Factory());
        QueryContext matched = Query("tracking.example");
        matched.PolicyAction = PolicyAction.Logged;
        matched.MatchedList = "telemetry";

        writer.Record(Query("example.org"), Outcome.Forwarded, 1);
        writer.Record(matched, Outcome.Forwarded, 1);

        Assert.AreEqual(1, writer.Flush());
    }

    [TestMethod]
    public void RecordNone_StillExpiresOldRows_AndCreatesNoDatabase()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "q.db");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var none = new QueryLogWriter(new SinkholeOptions { QueryLog = new QueryLogOptions { Path = path, Record = QueryLogRecordMode.None } }, time, NullLogger<QueryLogWriter>.Instance, TestMeters.Factory());
        Assert.AreEqual(0, none.DeleteExpired(force: true));
        Assert.IsFalse(File.Exists(path));

        var all = new QueryLogWriter(new SinkholeOptions { QueryLog = new QueryLogOptions { Path = path, Record = QueryLogRecordMode.All } }, time, NullLogger<QueryLogWriter>.Instance, TestMeters.Factory());
        all.Record(Query("before.example"), Outcome.Forwarded, 1);
        all.Flush();
        time.Advance(TimeSpan.FromDays(8));

        Assert.AreEqual(1, none.DeleteExpired(force: true), "logging switched off, the old rows still go after the retention");
    }

    [TestMethod]
    public async Task Writer_FlushesOnItsOwnThread_AtALowerPriority_AndStopWritesTheRest()
    {
        using var dir = new TempDirectory();
        (QueryLogWriter writer, string path, FakeTimeProvider time) = Writer(dir);
        int? testThreadNice = BackgroundPriority.CurrentThreadNice();
        writer.Record(Query("first.example"), Outcome.Forwarded, 1);

        await writer.StartAsync(CancellationToken.None);
        while (writer.Written < 1)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // the flush interval's ticks, until the thread has written
            await Task.Yield();
        }

        Assert.IsTrue(writer.WriterThreadLowered, "setpriority on the writer's thread id");
        Assert.AreEqual(Math.Max(BackgroundPriority.Nice, testThreadNice ?? 0), writer.WriterThreadNice, "the writer thread, read back from /proc");
        Assert.AreEqual(testThreadNice, BackgroundPriority.CurrentThreadNice(), "only the writer's thread, not the caller's");

        writer.Record(Query("second.example"), Outcome.Forwarded, 1);
        await writer.StopAsync(CancellationToken.None);
        Assert.AreEqual(2, Count(path), "a graceful stop writes what is still queued");
    }

    private static (QueryLogWriter Writer, string Path, FakeTimeProvider Time) Writer(TempDirectory dir, bool collapse = true, long maxBytes = 100L << 20)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-02T10:00:05Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new SinkholeOptions
        {
            QueryLog = new QueryLogOptions { Path = Path.Combine(dir.Path, "q.db"), Record = QueryLogRecordMode.All, Collapse = collapse, MaxBytes = maxBytes },
        };
        return (new QueryLogWriter(options, time, NullLogger<QueryLogWriter>.Instance, TestMeters.Factory()), options.QueryLog.Path, time);
    }

    private static List<(string Name, string Client, long Count)> CountRows(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT name, client, count FROM queries ORDER BY id";
        using SqliteDataReader reader = select.ExecuteReader();
        var rows = new List<(string, string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }

    [TestMethod]
    public void Collapse_ARepeatedQueryIsOneRowAMinute_AcrossFlushes()
    {
        using var dir = new TempDirectory();
        (QueryLogWriter writer, string path, FakeTimeProvider time) = Writer(dir);
        QueryContext retry = Query("tracker.example");
        QueryContext other = Query("tracker.example");
        other.Client = ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.10"));

        for (int second = 0; second < 50; second++)
        {
            for (int i = 0; i < 10; i++)
            {
                retry.Client = retry.Client with { Port = (ushort)(40000 + i) }; // each retry from a new port
                writer.Record(retry, Outcome.Blocked, 0.1);
            }

            writer.Record(other, Outcome.Blocked, 0.1);
            writer.Record(retry, Outcome.Forwarded, 0.1); // another outcome
            writer.Flush();
            time.Advance(TimeSpan.FromSeconds(1));
        }

        CollectionAssert.AreEqual(
            new[] { ("tracker.example", "192.168.1.9", 500L), ("tracker.example", "192.168.1.10", 50L), ("tracker.example", "192.168.1.9", 50L) },
            CountRows(path));

        time.Advance(TimeSpan.FromMinutes(1));
        writer.Record(retry, Outcome.Blocked, 0.1);
        writer.Flush();
        Assert.HasCount(4, CountRows(path), "a new minute, a new row");
        Assert.AreEqual(601, writer.Written, "every event is written, as rows or counts");
    }

    [TestMethod]
    public void Collapse_Off_WritesARowPerQuery()
    {
        using var dir = new TempDirectory();
        (QueryLogWriter writer, string path, _) = Writer(dir, collapse: false);
        for (int i = 0; i < 30; i++)
        {
            writer.Record(Query("tracker.example"), Outcome.Blocked, 0.1);
        }

        writer.Flush();
        Assert.HasCount(30, CountRows(path));
    }

    [TestMethod]
    public void Collapse_AfterTheRowIsGone_WritesANewOne()
    {
        using var dir = new TempDirectory();
        (QueryLogWriter writer, string path, _) = Writer(dir);
        writer.Record(Query("tracker.example"), Outcome.Blocked, 0.1);
        writer.Flush();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM queries";
            delete.ExecuteNonQuery();
        }

        writer.Record(Query("tracker.example"), Outcome.Blocked, 0.1);
        writer.Flush();
        Assert.AreEqual(("tracker.example", "192.168.1.9", 1L), CountRows(path).Single());
    }

    [TestMethod]
    public void MaxBytes_KeepsTheFileWithinItsBudget_OldestRowsFirst()
    {
        const long budget = 256 << 10;
        using var dir = new TempDirectory();
        (QueryLogWriter writer, string path, FakeTimeProvider time) = Writer(dir, maxBytes: budget);
        int written = 0;
        for (int flush = 0; flush < 60; flush++)
        {
            for (int i = 0; i < 200; i++, written++)
            {
                writer.Record(Query($"name-{written}.some-tracker.example"), Outcome.Blocked, 0.1);
            }

            writer.Flush();
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.IsLessThanOrEqualTo(budget, new FileInfo(path).Length + WalLength(path), $"after {written} rows");
        }

        List<(string Name, string Client, long Count)> rows = CountRows(path);
        Assert.IsLessThan(written / 4, rows.Count, "12,000 rows do not fit 256 KB");
        Assert.AreEqual($"name-{written - 1}.some-tracker.example", rows[^1].Name, "the newest row is kept");
        Assert.AreEqual($"name-{written - rows.Count}.some-tracker.example", rows[0].Name, "what is left is the newest rows: the oldest went first");
        Assert.IsGreaterThan(0, writer.DeletedForBudget);
    }

    private static long WalLength(string path) => File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0;
}
