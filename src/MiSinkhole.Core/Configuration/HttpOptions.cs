using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Http</c> section: where <c>/metrics</c>, the health checks and the API listen, and the API token.</summary>
public sealed record HttpOptions
{
    /// <summary>Null: no HTTP listener (<c>"Listen": "none"</c>).</summary>
    public IPEndPoint? Listen { get; init; } = new(IPAddress.Any, 9153);

    /// <summary>Bearer token for the API's changing endpoints; without one they accept only loopback callers.</summary>
    public string? ApiToken { get; init; }
}
