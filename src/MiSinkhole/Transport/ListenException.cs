using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.Transport;

/// <summary>
/// An address the daemon is configured to listen on cannot be bound. The message is for a person:
/// the address, the protocol, what went wrong and the likely fix, in one line; the daemon prints
/// it and exits 2, without a stack trace.
/// </summary>
public sealed class ListenException : Exception
{
    public ListenException()
    {
    }

    public ListenException(string message)
        : base(message)
    {
    }

    public ListenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ListenException(IPEndPoint endPoint, string protocol, SocketException error)
        : base(Describe(endPoint, protocol, error), error)
    {
        EndPoint = endPoint;
        Protocol = protocol;
        Error = error.SocketErrorCode;
    }

    public IPEndPoint? EndPoint { get; }

    /// <summary>UDP, TCP (both DNS) or HTTP.</summary>
    public string? Protocol { get; }

    public SocketError Error { get; }

    private static string Describe(IPEndPoint endPoint, string protocol, SocketException error)
    {
        bool http = protocol == "HTTP";
        string key = http ? "Http:Listen" : "Dns:Listen";
        string what = error.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => http
                ? $"address already in use — another program (another misinkhole?) holds it; stop it, or set {key} to another address or to none"
                : $"address already in use — another DNS server (systemd-resolved, dnsmasq, Pi-hole) may hold it; stop it or set {key}",
            SocketError.AccessDenied => $"permission denied — ports below 1024 need root or CAP_NET_BIND_SERVICE (the systemd unit and the Docker image grant it); or set {key} to a port above 1023",
            SocketError.AddressNotAvailable => $"no network interface of this machine has the address {endPoint.Address} — check {key} (`ip -brief address` lists this machine's addresses)",
            SocketError.AddressFamilyNotSupported => $"this machine has no {(endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} — remove that address from {key}",
            _ => $"{error.Message} ({error.SocketErrorCode}) — check {key}",
        };
        return $"cannot listen on {endPoint} ({protocol}): {what}";
    }
}
