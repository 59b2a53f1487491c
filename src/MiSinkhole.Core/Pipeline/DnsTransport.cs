namespace MiSinkhole.Core.Pipeline;

public enum DnsTransport
{
    Udp,
    Tcp,

    /// <summary>DNS over TLS (RFC 7858): a stream, as TCP.</summary>
    Tls,
}
