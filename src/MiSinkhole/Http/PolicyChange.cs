namespace MiSinkhole.Http;

/// <summary>The body of <c>PUT /api/devices/{name}/policy</c>: the policy the device gets (a name under <c>Policies</c>).</summary>
public sealed record PolicyChange(string? Policy);
