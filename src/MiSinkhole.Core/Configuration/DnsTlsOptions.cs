using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Dns:Tls</c> section: DNS over TLS (RFC 7858) for phones with Android's Private DNS.
/// Off unless <c>Listen</c> is set. The certificate comes from PEM files (re-read when they
/// change, so a renewal needs no restart) or, without files, is made once and kept in
/// <c>DataDirectory</c>. The first label of the name a client asks for (SNI) under
/// <c>ServerName</c> is its client ID (<c>kids-tablet.dns.home.example</c>: <c>kids-tablet</c>),
/// which a device matches with <c>clientid:kids-tablet</c>.
/// </summary>
public sealed record DnsTlsOptions
{
    /// <summary>Addresses to answer DoT on (<c>0.0.0.0:853</c>); none: DoT is off.</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [];

    /// <summary>The certificate chain, PEM; null: the daemon's own self-signed one.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>The certificate's private key, PEM (may be the same file as the certificate).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The name clients ask for; its subdomains' first label is a client ID. Null: no client IDs.</summary>
    public string? ServerName { get; init; }

    /// <summary>How long a client may take to finish its TLS handshake before the connection is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Handshakes in progress at once; a connection past that is closed at once (a flood of slow handshakes costs a bounded amount).</summary>
    public int MaxHandshakes { get; init; } = 64;

    public bool Enabled => Listen.Count > 0;

    public static SectionKeys<DnsTlsOptions> Keys { get; } = new(restart: true)
    {
        { "Listen", ReadListen },
        { "CertificateFile", (s, o) => o with { CertificateFile = s["CertificateFile"] is { Length: > 0 } path ? s.FullPath(path) : null } },
        { "KeyFile", (s, o) => o with { KeyFile = s["KeyFile"] is { Length: > 0 } path ? s.FullPath(path) : null } },
        { "ServerName", ReadServerName },
        { "HandshakeTimeout", (s, o) => o with { HandshakeTimeout = s.Duration("HandshakeTimeout", o.HandshakeTimeout, TimeSpan.FromMilliseconds(100)) } },
        { "MaxHandshakes", (s, o) => o with { MaxHandshakes = s.Integer("MaxHandshakes", o.MaxHandshakes, 1, 10_000) } },
    };

    /// <summary>Checks what one key cannot: a certificate without its key, or the other way round.</summary>
    public static void Check(ConfigSection section, DnsTlsOptions options)
    {
        if ((options.CertificateFile is null) != (options.KeyFile is null))
        {
            section.Error(options.CertificateFile is null ? "CertificateFile" : "KeyFile", "CertificateFile and KeyFile go together (or leave both out for a self-signed certificate)");
        }
    }

    private static DnsTlsOptions ReadListen(ConfigSection section, DnsTlsOptions options) =>
        options with { Listen = section.EndPoints("Listen", 853, "0.0.0.0:853") };

    private static DnsTlsOptions ReadServerName(ConfigSection section, DnsTlsOptions options)
    {
        string? name = section["ServerName"]?.Trim().TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(name))
        {
            return options with { ServerName = null };
        }

        if (name.Split('.').Any(label => label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            section.Error("ServerName", $"'{name}' is not a host name (e.g. dns.home.example)");
            return options;
        }

        return options with { ServerName = name };
    }
}
