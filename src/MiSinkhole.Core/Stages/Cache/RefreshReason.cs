namespace MiSinkhole.Core.Stages.Cache;

/// <summary>Why the cache refreshes an answer in the background (the <c>reason</c> label of <c>misinkhole.cache.refreshes</c>).</summary>
public enum RefreshReason
{
    /// <summary>A popular entry is about to expire.</summary>
    Prefetch,

    /// <summary>An expired entry was served stale right after a failed refresh.</summary>
    Stale,
}
