using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Http</c> section: where <c>/metrics</c>, the health checks and the API listen, and who
/// may use them: the API token (every <c>/api</c> request needs it), whether loopback callers are
/// trusted without one, the token that closes <c>/metrics</c>, and the host names the listener
/// answers to besides IP literals and <c>localhost</c>.
/// </summary>
public sealed record HttpOptions
{
    /// <summary>The shortest token accepted in <c>Http:ApiToken</c> and <c>Http:MetricsToken</c>.</summary>
    public const int MinTokenLength = 16;

    /// <summary>Null: no HTTP listener (<c>"Listen": "none"</c>).</summary>
    public IPEndPoint? Listen { get; init; } = new(IPAddress.Any, 9153);

    /// <summary>
    /// Bearer token for every <c>/api</c> request; null: the daemon makes one at its first start
    /// and keeps it in <c>DataDirectory/api-token</c>.
    /// </summary>
    public string? ApiToken { get; init; }

    /// <summary>Callers on loopback need no token (the behaviour before tokens were required; off by default, since a reverse proxy, <c>ssh -L</c> or <c>docker-proxy</c> make everyone loopback).</summary>
    public bool TrustLoopback { get; init; }

    /// <summary>Bearer token that <c>/metrics</c> then needs (the API token opens it too); null: <c>/metrics</c> is open.</summary>
    public string? MetricsToken { get; init; }

    /// <summary>Host names (lowercase) requests may name in <c>Host</c> besides IP literals and <c>localhost</c>; any other gets 421.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<HttpOptions> Keys { get; } = new(restart: true)
    {
        { "Listen", ReadListen },
        { "ApiToken", (s, o) => o with { ApiToken = ReadToken(s, "ApiToken") } },
        { "TrustLoopback", (s, o) => o with { TrustLoopback = s.Bool("TrustLoopback", o.TrustLoopback) } },
        { "MetricsToken", (s, o) => o with { MetricsToken = ReadToken(s, "MetricsToken") } },
        { "AllowedHosts", ReadAllowedHosts },
    };

    private static HttpOptions ReadListen(ConfigSection section, HttpOptions options)
    {
        if (section["Listen"] is not string text)
        {
            return options;
        }

        if (text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Length == 0)
        {
            return options with { Listen = null };
        }

        if (!ConfigValue.TryParseEndPoint(text, 9153, out IPEndPoint listen, allowPortZero: true))
        {
            section.Error("Listen", $"'{text}' is not an address with optional port (e.g. 0.0.0.0:9153, 127.0.0.1:9153) or 'none'");
            return options;
        }

        return options with { Listen = listen };
    }

    private static string? ReadToken(ConfigSection section, string key)
    {
        string? token = section[key];
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        if (token.Length < MinTokenLength)
        {
            section.Error(key, $"a token needs at least {MinTokenLength} characters");
        }
        else if (token.Any(c => c <= ' ' || c > '~'))
        {
            section.Error(key, "a token is printable ASCII without spaces (it travels in an HTTP header)");
        }

        return token;
    }

    private static HttpOptions ReadAllowedHosts(ConfigSection section, HttpOptions options)
    {
        var hosts = new List<string>();
        Span<char> lower = stackalloc char[256];
        foreach ((string key, string value) in section.Items("AllowedHosts"))
        {
            string? problem = MiSinkhole.Rules.RuleListParser.Normalize(value.Trim(), lower, out int length);
            if (problem is not null)
            {
                section.Error(key, $"'{value}' is not a host name ({problem}); IP addresses and localhost are always allowed, and a name carries no port or scheme");
                continue;
            }

            hosts.Add(lower[..length].ToString());
        }

        return options with { AllowedHosts = hosts };
    }
}
