using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MiSinkhole.Http;

/// <summary>
/// The web page's logins, in memory (a restart logs everyone out): a random 256-bit cookie
/// secret and CSRF token per session, at most <see cref="MaxSessions"/> (the oldest goes first),
/// each ending after <see cref="IdleTimeout"/> unused and at most <see cref="MaxLifetime"/> after
/// its login. Failed logins are limited: past <see cref="MaxFailuresPerMinute"/> in the last
/// minute (a sliding one), every login is refused until the oldest of them is a minute old, so
/// guessing the token or password costs that long per few tries.
/// </summary>
public sealed class WebSessions(TimeProvider time)
{
    public const string CookieName = "misinkhole_session";
    public const string CsrfHeader = "X-CSRF-Token";
    public const int MaxSessions = 64;
    public const int MaxFailuresPerMinute = 10;
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(12);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    private readonly ConcurrentDictionary<string, WebSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _failures = new();
    private readonly Queue<DateTimeOffset> _failureTimes = new();

    public int Count => _sessions.Count;

    /// <summary>A new session (the oldest goes when <see cref="MaxSessions"/> are open).</summary>
    public WebSession Open()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (WebSession old in _sessions.Values.Where(s => s.Expires <= now))
        {
            _sessions.TryRemove(old.Id, out _);
        }

        while (_sessions.Count >= MaxSessions && _sessions.Values.MinBy(s => s.Created) is { } oldest)
        {
            _sessions.TryRemove(oldest.Id, out _);
        }

        var session = new WebSession(Secret(), Secret(), now, now + IdleTimeout);
        _sessions[session.Id] = session;
        return session;
    }

    /// <summary>The live session the cookie names, its idle time reset; null for none, an unknown or an ended one.</summary>
    public WebSession? Find(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie) || !_sessions.TryGetValue(cookie, out WebSession? session))
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        if (session.Expires <= now)
        {
            _sessions.TryRemove(cookie, out _);
            return null;
        }

        DateTimeOffset limit = session.Created + MaxLifetime;
        session.Expires = now + IdleTimeout < limit ? now + IdleTimeout : limit;
        return session;
    }

    public void Close(WebSession session) => _sessions.TryRemove(session.Id, out _);

    /// <summary>Whether a login may be tried now (false: too many failed this minute).</summary>
    public bool MayTry()
    {
        lock (_failures)
        {
            Prune();
            return _failureTimes.Count < MaxFailuresPerMinute;
        }
    }

    public void Failed()
    {
        lock (_failures)
        {
            Prune();
            _failureTimes.Enqueue(time.GetUtcNow());
        }
    }

    /// <summary>Forgets failures older than a minute: a sliding minute, so no clock minute's end lets twice as many through.</summary>
    private void Prune()
    {
        DateTimeOffset since = time.GetUtcNow() - TimeSpan.FromMinutes(1);
        while (_failureTimes.TryPeek(out DateTimeOffset at) && at <= since)
        {
            _failureTimes.Dequeue();
        }
    }

    /// <summary>Whether <paramref name="given"/> is the session's CSRF token (in constant time).</summary>
    public static bool CsrfMatches(WebSession session, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(session.Csrf));

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
