namespace MiSinkhole.Http;

/// <summary>
/// A logged-in browser: the secret its cookie carries (<see cref="Id"/>, never shown to scripts:
/// HttpOnly), the CSRF token its page sends with every change (<see cref="Csrf"/>), and when it
/// ends (<see cref="Expires"/>, moved on by use up to <see cref="WebSessions.MaxLifetime"/> after login).
/// </summary>
public sealed class WebSession(string id, string csrf, DateTimeOffset created, DateTimeOffset expires)
{
    public string Id { get; } = id;

    public string Csrf { get; } = csrf;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Expires { get; set; } = expires;
}
