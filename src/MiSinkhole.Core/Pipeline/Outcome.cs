namespace MiSinkhole.Core.Pipeline;

/// <summary>Where an answer came from. Drives metrics labels, log events and the query log.</summary>
public enum Outcome
{
    None = 0,
    Blocked,
    Cached,
    Forwarded,
    Failed,
    Refused,
    FormErr,
    NotImp,
    Dropped,

    /// <summary>Turned away by the <c>RateLimit</c> section (<see cref="QueryContext.Limit"/> says why): dropped, truncated or refused.</summary>
    Limited,

    /// <summary>An expired cached answer served because no upstream answered in time (RFC 8767 serve-stale; TTL <c>Cache:StaleTtl</c>, EDE 3).</summary>
    Stale,
}
