using System.Net;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Stages.Forward;

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

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<UpstreamOptions> Keys { get; } = new(restart: true)
    {
        { "Servers", ReadServers },
        { "AttemptTimeout", (s, o) => o with { AttemptTimeout = s.Duration("AttemptTimeout", o.AttemptTimeout) } },
        { "Timeout", (s, o) => o with { Timeout = s.Duration("Timeout", o.Timeout) } },
    };

    private static UpstreamOptions ReadServers(ConfigSection section, UpstreamOptions options)
    {
        var servers = new List<IPEndPoint>();
        foreach ((string key, string value) in section.Items("Servers"))
        {
            if (value.Contains("://", StringComparison.Ordinal))
            {
                section.Error(key, $"'{value}': only plain DNS upstreams (address or address:port) are supported in this version");
            }
            else if (ConfigValue.TryParseEndPoint(value, 53, out IPEndPoint endPoint))
            {
                servers.Add(endPoint);
            }
            else
            {
                section.Error(key, $"'{value}' is not an address with optional port (e.g. 9.9.9.9 or 127.0.0.1:5353)");
            }
        }

        return servers.Count > 0 ? options with { Servers = servers } : options;
    }
}
