using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>The <c>Http</c> section: where <c>/metrics</c>, the health checks and the API listen, and the API token.</summary>
public sealed record HttpOptions
{
    /// <summary>Null: no HTTP listener (<c>"Listen": "none"</c>).</summary>
    public IPEndPoint? Listen { get; init; } = new(IPAddress.Any, 9153);

    /// <summary>Bearer token for the API's changing endpoints; without one they accept only loopback callers.</summary>
    public string? ApiToken { get; init; }

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<HttpOptions> Keys { get; } = new(restart: true)
    {
        { "Listen", ReadListen },
        { "ApiToken", ReadApiToken },
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

    private static HttpOptions ReadApiToken(ConfigSection section, HttpOptions options)
    {
        string? token = section["ApiToken"];
        if (token is { Length: < 16 })
        {
            section.Error("ApiToken", "an API token needs at least 16 characters");
        }

        return options with { ApiToken = string.IsNullOrEmpty(token) ? null : token };
    }
}
