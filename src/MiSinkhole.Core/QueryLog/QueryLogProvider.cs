namespace MiSinkhole.Core.QueryLog;

/// <summary>Where the query log is kept (<c>QueryLog:Provider</c>).</summary>
public enum QueryLogProvider
{
    /// <summary>A SQLite file in <c>DataDirectory</c> (<c>QueryLog:Path</c>): one daemon's own log.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<c>QueryLog:ConnectionString</c>) that several instances share.</summary>
    Postgres,
}
