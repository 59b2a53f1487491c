using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>QueryLog</c> section.</summary>
public sealed record QueryLogOptions
{
    /// <summary>The SQLite file (default <c>DataDirectory/querylog.db</c>).</summary>
    public required string Path { get; init; }

    public QueryLogRecordMode Record { get; init; } = QueryLogRecordMode.PolicyMatches;

    /// <summary>Store a keyed hash instead of the client address.</summary>
    public bool AnonymizeClients { get; init; }

    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often queued events are written (the most a crash can lose).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events waiting to be written (preallocated); beyond that new ones are dropped and counted.</summary>
    public int QueueSize { get; init; } = 4096;
}
