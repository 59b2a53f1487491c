namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// Where <see cref="QueryLogWriter"/> puts its rows: the SQLite file (<see cref="SqliteQueryLogStore"/>)
/// or a PostgreSQL database that several instances share (<see cref="PostgresQueryLogStore"/>).
/// Called from the writer's thread only. A failure throws a <see cref="System.Data.Common.DbException"/>
/// (or an I/O error), which the writer counts.
/// </summary>
internal interface IQueryLogStore
{
    /// <summary>What the log messages call it: the file, or the database's host and name (never its password).</summary>
    string Describe { get; }

    /// <summary>
    /// Whether a batch that could not be written is kept and tried again (a database that comes
    /// back), rather than dropped (a file that cannot be written stays so).
    /// </summary>
    bool KeepsFailedBatches { get; }

    /// <summary>Writes one flush in one transaction (setting each row's <see cref="QueryLogPendingRow.Id"/>); returns the rows then deleted to keep within the disk budget.</summary>
    int Write(Span<QueryLogPendingRow> rows);

    /// <summary>Deletes rows older than <paramref name="cutoffUnixMs"/>; returns how many (0 before there is a log).</summary>
    int DeleteBefore(long cutoffUnixMs);

    /// <summary>Rows whose client (or forwarder) is still an address get <paramref name="show"/>'s token; returns how many.</summary>
    int MaskClients(Func<string, string> show, string tokenPrefix);
}
