namespace MiSinkhole.Core.Pipeline;

public enum DnsTransport
{
    Udp,
    Tcp,
}
