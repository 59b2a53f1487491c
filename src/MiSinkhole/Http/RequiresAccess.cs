namespace MiSinkhole.Http;

/// <summary>Endpoint metadata: what the endpoint needs from its caller (<see cref="HttpAccess"/>).</summary>
public sealed record RequiresAccess(HttpAccessLevel Level);
