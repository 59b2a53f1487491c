using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MiSinkhole.Http;

/// <summary>
/// The web page's logins, in memory (a restart logs everyone out): a random 256-bit cookie
/// secret and CSRF token per session, at most <see cref="MaxSessions"/> (the oldest goes first),
/// each ending after <see cref="IdleTimeout"/> unused and at most <see cref="MaxLifetime"/> after
/// its login. Failed logins are limited: past <see cref="MaxFailuresPerMinute"/> in a minute,
/// every login is refused until the minute is over, so guessing the token or password costs
/// that long per few tries.
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
    private long _failureMinute;
    private int _failuresThisMinute;

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
            return Minute() != _failureMinute || _failuresThisMinute < MaxFailuresPerMinute;
        }
    }

    public void Failed()
    {
        lock (_failures)
        {
            long minute = Minute();
            if (minute != _failureMinute)
            {
                _failureMinute = minute;
                _failuresThisMinute = 0;
            }

            _failuresThisMinute++;
        }
    }

    /// <summary>Whether <paramref name="given"/> is the session's CSRF token (in constant time).</summary>
    public static bool CsrfMatches(WebSession session, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(session.Csrf));

    private long Minute() => time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
