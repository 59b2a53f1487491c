using System.Net;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>The <c>Upstreams</c> section: where allowed names are resolved.</summary>
public sealed record UpstreamOptions
{
    /// <summary>Quad9, the documented default.</summary>
    public static readonly IReadOnlyList<UpstreamServer> DefaultServers =
        [UpstreamServer.Plain(IPEndPoint.Parse("9.9.9.9:53")), UpstreamServer.Plain(IPEndPoint.Parse("149.112.112.112:53"))];

    public IReadOnlyList<UpstreamServer> Servers { get; init; } = DefaultServers;

    /// <summary>How long one server gets before the next is tried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMilliseconds(900);

    /// <summary>Budget for the whole query over all servers; then SERVFAIL.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Plain DNS servers used only to resolve the host names of upstreams (Quad9 by default).</summary>
    public IReadOnlyList<IPEndPoint> Bootstrap { get; init; } = [.. DefaultServers.Select(s => s.EndPoint!)];

    /// <summary>Extra trust anchors (a PEM file) besides the system store, for DoT and DoH; null for none.</summary>
    public string? CaFile { get; init; }

    public UpstreamStrategy Strategy { get; init; } = UpstreamStrategy.Failover;

    /// <summary>
    /// Domains (lowercase, no trailing dot) whose names, the domain itself included, go to their
    /// own servers instead of <see cref="Servers"/>: <c>lan</c>, <c>fritz.box</c>, <c>1.168.192.in-addr.arpa</c>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<UpstreamServer>> Conditional { get; init; } =
        new Dictionary<string, IReadOnlyList<UpstreamServer>>(StringComparer.Ordinal);

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<UpstreamOptions> Keys { get; } = new(restart: true)
    {
        { "Servers", ReadServers },
        { "AttemptTimeout", (s, o) => o with { AttemptTimeout = s.Duration("AttemptTimeout", o.AttemptTimeout) } },
        { "Timeout", (s, o) => o with { Timeout = s.Duration("Timeout", o.Timeout) } },
        { "Bootstrap", ReadBootstrap },
        { "CaFile", ReadCaFile },
        { "Strategy", (s, o) => o with { Strategy = s.Enum("Strategy", o.Strategy, "Failover, ParallelBest or LoadBalance") } },
        { "Conditional", ReadConditional },
    };

    private static UpstreamOptions ReadBootstrap(ConfigSection section, UpstreamOptions options)
    {
        var servers = new List<IPEndPoint>();
        foreach ((string key, string value) in section.Items("Bootstrap"))
        {
            if (ConfigValue.TryParseEndPoint(value, 53, out IPEndPoint endPoint))
            {
                servers.Add(endPoint);
            }
            else
            {
                section.Error(key, $"'{value}': a bootstrap server is plain DNS, an address with optional port (e.g. 9.9.9.9 or 127.0.0.1:5353)");
            }
        }

        return section.Section("Bootstrap").Value is not null || servers.Count > 0 ? options with { Bootstrap = servers } : options;
    }

    private static UpstreamOptions ReadCaFile(ConfigSection section, UpstreamOptions options)
    {
        if (section["CaFile"] is not { Length: > 0 } file)
        {
            return options;
        }

        string path = section.FullPath(file);
        try
        {
            _ = UpstreamCertificates.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            section.Error("CaFile", $"'{file}': not a readable PEM file of CA certificates ({e.Message})");
        }

        return options with { CaFile = path };
    }

    private static UpstreamOptions ReadConditional(ConfigSection section, UpstreamOptions options)
    {
        var routes = new Dictionary<string, IReadOnlyList<UpstreamServer>>(StringComparer.Ordinal);
        foreach (ConfigSection domain in section.Section("Conditional").Children())
        {
            string name = domain.Key.Trim().TrimEnd('.').ToLowerInvariant();
            if (name.Length == 0 || name.Length > 253 || name.Split('.').Any(l => l.Length is 0 or > 63))
            {
                section.Error($"Conditional:{domain.Key}", $"'{domain.Key}' is not a domain (e.g. lan, fritz.box, 1.168.192.in-addr.arpa)");
                continue;
            }

            var servers = new List<UpstreamServer>();
            int before = section.Errors.Count;
            foreach ((string key, string value) in domain.Items())
            {
                if (!UpstreamServer.TryParse(value, out UpstreamServer server, out string error))
                {
                    section.Error(key[(section.Path.Length + 1)..], error);
                }
                else
                {
                    servers.Add(server);
                }
            }

            if (servers.Count == 0 && section.Errors.Count == before)
            {
                section.Error($"Conditional:{domain.Key}", $"'{domain.Key}' needs at least one server, e.g. [ \"192.168.1.1\" ]");
                continue;
            }

            routes[name] = servers;
        }

        return routes.Count > 0 ? options with { Conditional = routes } : options;
    }

    private static UpstreamOptions ReadServers(ConfigSection section, UpstreamOptions options)
    {
        var servers = new List<UpstreamServer>();
        foreach ((string key, string value) in section.Items("Servers"))
        {
            if (!UpstreamServer.TryParse(value, out UpstreamServer server, out string error))
            {
                section.Error(key, error);
            }
            else
            {
                servers.Add(server);
            }
        }

        return servers.Count > 0 ? options with { Servers = servers } : options;
    }
}
