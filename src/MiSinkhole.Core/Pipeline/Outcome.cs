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
}
