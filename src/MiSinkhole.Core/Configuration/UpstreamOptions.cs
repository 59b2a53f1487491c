using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Upstreams</c> section: where allowed names are resolved.</summary>
public sealed record UpstreamOptions
{
    /// <summary>Quad9, the documented default.</summary>
    public static readonly IReadOnlyList<IPEndPoint> DefaultServers =
        [IPEndPoint.Parse("9.9.9.9:53"), IPEndPoint.Parse("149.112.112.112:53")];

    public IReadOnlyList<IPEndPoint> Servers { get; init; } = DefaultServers;

    /// <summary>How long one server gets before the next is tried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMilliseconds(900);

    /// <summary>Budget for the whole query over all servers; then SERVFAIL.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
}
