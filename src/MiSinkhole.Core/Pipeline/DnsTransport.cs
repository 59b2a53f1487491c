namespace MiSinkhole.Core.Pipeline;

public enum DnsTransport
{
    Udp,
    Tcp,

    /// <summary>DNS over TLS (RFC 7858): a stream, as TCP.</summary>
    Tls,

    /// <summary>DNS over HTTPS (RFC 8484): one query per HTTP request.</summary>
    Https,
}
