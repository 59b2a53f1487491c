using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Postgres;

namespace MiSinkhole.Core.QueryLog;

/// <summary>The <c>QueryLog</c> section.</summary>
public sealed record QueryLogOptions
{
    /// <summary>The SQLite file (default <c>DataDirectory/querylog.db</c>).</summary>
    public required string Path { get; init; }

    public QueryLogProvider Provider { get; init; } = QueryLogProvider.Sqlite;

    /// <summary>The PostgreSQL database (Npgsql's connection string) of <see cref="QueryLogProvider.Postgres"/>; null otherwise.</summary>
    public string? ConnectionString { get; init; }

    public QueryLogRecordMode Record { get; init; } = QueryLogRecordMode.PolicyMatches;

    /// <summary>Store a keyed hash instead of the client address.</summary>
    public bool AnonymizeClients { get; init; }

    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often queued events are written (the most a crash can lose).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events waiting to be written (preallocated); beyond that new ones are dropped and counted.</summary>
    public int QueueSize { get; init; } = 4096;

    /// <summary>
    /// The disk budget of the database (its file and its write-ahead log): beyond it the oldest
    /// rows are deleted, whatever <see cref="Retention"/> says.
    /// </summary>
    public long MaxBytes { get; init; } = 100L << 20;

    /// <summary>
    /// A client asking the same name with the same outcome again within the same minute adds to
    /// that minute's row (its <c>count</c>) instead of writing a new one.
    /// </summary>
    public bool Collapse { get; init; } = true;

    /// <summary>The section's keys; a change takes effect at the next start (the writer opens its file once).</summary>
    public static SectionKeys<QueryLogOptions> Keys { get; } = new(restart: true)
    {
        { "Path", (s, o) => s["Path"] is string path ? o with { Path = s.FullPath(path) } : o },
        { "Record", (s, o) => o with { Record = s.Enum("Record", o.Record, "PolicyMatches, All or None") } },
        { "AnonymizeClients", (s, o) => o with { AnonymizeClients = s.Bool("AnonymizeClients", o.AnonymizeClients) } },
        { "Retention", (s, o) => o with { Retention = s.Duration("Retention", o.Retention) } },
        { "FlushInterval", (s, o) => o with { FlushInterval = s.Duration("FlushInterval", o.FlushInterval, TimeSpan.FromMilliseconds(10), "a flush interval of at least 10ms") } },
        { "QueueSize", (s, o) => o with { QueueSize = s.Integer("QueueSize", o.QueueSize, 100, 1_000_000) } },
        { "MaxBytes", (s, o) => o with { MaxBytes = s.Bytes("MaxBytes", o.MaxBytes, 256L << 10, 1L << 40) } },
        { "Collapse", (s, o) => o with { Collapse = s.Bool("Collapse", o.Collapse) } },
        { "Provider", (s, o) => o with { Provider = s.Enum("Provider", o.Provider, "Sqlite or Postgres") } },
        { "ConnectionString", (s, o) => o with { ConnectionString = PostgresConnection.Read(s, o.Provider == QueryLogProvider.Postgres, "QueryLog:Provider Postgres") } },
    };
}
