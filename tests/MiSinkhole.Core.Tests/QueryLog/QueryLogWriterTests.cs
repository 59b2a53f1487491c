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
}
