namespace MiSinkhole.Core.QueryLog;

/// <summary>Which queries the query log keeps.</summary>
public enum QueryLogRecordMode
{
    /// <summary>
    /// Only queries a policy list decided (blocked, logged, allowed by a rule), and those for
    /// unclassified Xiaomi names (action <c>unclassified</c>: the rows a user reviews): the default,
    /// so the log does not become the surveillance tool the project fights.
    /// </summary>
    PolicyMatches,

    /// <summary>Every answered query.</summary>
    All,

    /// <summary>No query log.</summary>
    None,
}
