namespace MiSinkhole.Http;

/// <summary>A session as its page sees it: the CSRF token to send as <c>X-CSRF-Token</c> with every change, and when it ends unless used.</summary>
public sealed record SessionResponse(string Csrf, DateTimeOffset Expires);
