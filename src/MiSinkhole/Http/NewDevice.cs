namespace MiSinkhole.Http;

/// <summary>
/// The body of <c>POST /api/devices</c>: a name for a client, what recognises it (as in
/// <c>Devices:&lt;name&gt;:Match</c>: an address, a MAC, a range, <c>clientid:ID</c>) and its
/// policy (null: <c>DefaultPolicy</c>).
/// </summary>
public sealed record NewDevice(string? Name, IReadOnlyList<string>? Match, string? Policy);
