namespace MiSinkhole.Core.Stages.Forward;

/// <summary>How an upstream server is spoken to.</summary>
public enum UpstreamProtocol
{
    /// <summary>Plain DNS: UDP, TCP when the answer is truncated (<c>9.9.9.9</c>, <c>127.0.0.1:5353</c>).</summary>
    Plain,

    /// <summary>DNS over TLS, RFC 7858 (<c>tls://dns.quad9.net</c>, <c>tls://9.9.9.9:853#dns.quad9.net</c>).</summary>
    Tls,

    /// <summary>DNS over HTTPS, RFC 8484 (<c>https://dns.quad9.net/dns-query</c>).</summary>
    Https,
}
