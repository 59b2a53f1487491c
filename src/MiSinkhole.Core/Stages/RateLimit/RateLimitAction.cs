namespace MiSinkhole.Core.Stages.RateLimit;

/// <summary>What a UDP query over its client's rate gets (<c>RateLimit:Action</c>).</summary>
public enum RateLimitAction
{
    /// <summary>Nothing at all: the cheapest, and nothing to reflect; the client's resolver retries after its timeout.</summary>
    Drop,

    /// <summary>Header and question with TC=1 (no larger than the query): a real client retries over TCP at once, a spoofed victim gets nothing worth having.</summary>
    Truncate,

    /// <summary>REFUSED: the client sees an error (and may try its other server).</summary>
    Refused,
}
