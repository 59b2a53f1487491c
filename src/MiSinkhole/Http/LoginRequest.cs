namespace MiSinkhole.Http;

/// <summary>The body of <c>POST /api/session</c>: the API token, or the password set with <c>misinkhole web-password</c>.</summary>
public sealed record LoginRequest(string? Token, string? Password);
