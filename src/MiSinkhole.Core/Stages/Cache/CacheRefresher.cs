using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// Refreshes cached answers in the background, off the query path: prefetches of popular entries
/// about to expire (<see cref="DnsCache.TryGet(ReadOnlySpan{byte}, ushort, ushort, bool, bool, out DnsAnswer?, out uint, out bool)"/>
/// says when) and refreshes of entries served stale after a failed refresh. At most
/// <see cref="MaxInFlight"/> run at once; one more is skipped (the entry stays as it is). The
/// upstream exchange is the resolver's, so a client asking the same question meanwhile shares it;
/// the answer is stored when it comes. Only names that reached the cache are ever refreshed, and
/// a blocked name never does (the policy answers it before the cache).
/// </summary>
public sealed partial class CacheRefresher
{
    /// <summary>Background refreshes in flight at most.</summary>
    public const int MaxInFlight = 4;

    private static readonly string[] Reasons = ["prefetch", "stale"];

    private readonly UpstreamResolver _resolver;
    private readonly DnsCache _cache;
    private readonly ILogger<CacheRefresher> _logger;
    private readonly Counter<long> _refreshes;
    private int _running;

    public CacheRefresher(UpstreamResolver resolver, DnsCache cache, ILogger<CacheRefresher> logger, IMeterFactory meterFactory)
    {
        _resolver = resolver;
        _cache = cache;
        _logger = logger;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        _refreshes = meter.CreateCounter<long>("misinkhole.cache.refreshes",
            description: "Background refreshes of cached answers, by reason (prefetch, stale) and result (refreshed, failed, skipped: too many in flight).");
    }

    /// <summary>Refreshes in flight now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Starts refreshing this question in the background, unless <see cref="MaxInFlight"/> are
    /// running. <paramref name="stale"/>, for a stale refresh, is the entry to mark failed again when
    /// no upstream answers. Returns at once (the exchange starts on the thread pool).
    /// </summary>
    internal bool TryStart(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, RefreshReason reason, CacheEntry? stale = null)
    {
        if (Interlocked.Increment(ref _running) > MaxInFlight)
        {
            Interlocked.Decrement(ref _running);
            Count(reason, "skipped");
            return false;
        }

        var work = new Refresh(this, lowerName.ToArray(), type, @class, dnssecOk, checkingDisabled, reason, stale);
        ThreadPool.UnsafeQueueUserWorkItem(static w => _ = w.Owner.RunAsync(w), work, preferLocal: false);
        return true;
    }

    private async Task RunAsync(Refresh work)
    {
        string result = "failed";
        try
        {
            DnsAnswer? answer = await _resolver.ResolveAsync(work.Name, work.Type, work.Class, work.DnssecOk, work.CheckingDisabled).ConfigureAwait(false);
            if (answer is not null)
            {
                _cache.Set(work.Name, work.Type, work.Class, work.DnssecOk, work.CheckingDisabled, answer);
                result = "refreshed";
            }
            else if (work.Stale is { } stale)
            {
                _cache.RefreshFailed(stale);
            }
        }
        catch (Exception e)
        {
            LogRefreshError(e);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }

        Count(work.Reason, result);
        if (result == "failed" && _logger.IsEnabled(LogLevel.Debug))
        {
#pragma warning disable CA1873 // guarded by the IsEnabled check above, which the analyzer does not see through
            LogRefreshFailed(Reasons[(int)work.Reason], DnsName.ToText(work.Name), work.Type);
#pragma warning restore CA1873
        }
    }

    private void Count(RefreshReason reason, string result) =>
        _refreshes.Add(1, new TagList { { "reason", Reasons[(int)reason] }, { "result", result } });

    [LoggerMessage(EventId = LogEventIds.Cache + 1, Level = LogLevel.Debug, Message = "Background refresh ({Reason}) of {Name} type {Type} got no answer")]
    private partial void LogRefreshFailed(string reason, string name, ushort type);

    [LoggerMessage(EventId = LogEventIds.Cache + 2, Level = LogLevel.Error, Message = "Background refresh failed unexpectedly")]
    private partial void LogRefreshError(Exception exception);

    /// <summary>One refresh to run: the question (its name copied off the query's buffer) and what to mark when it fails.</summary>
    private sealed record Refresh(CacheRefresher Owner, byte[] Name, ushort Type, ushort Class, bool DnssecOk, bool CheckingDisabled, RefreshReason Reason, CacheEntry? Stale);
}
