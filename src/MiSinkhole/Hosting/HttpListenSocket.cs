using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using MiSinkhole.Transport;

namespace MiSinkhole.Hosting;

/// <summary>
/// The HTTP listener's socket, bound by us before the host starts so that a taken port is a
/// <see cref="ListenException"/> naming it (one line, exit 2), not a failure deep inside Kestrel's
/// start. Kestrel takes the bound socket through <see cref="SocketTransportOptions.CreateBoundListenSocket"/>;
/// when nothing bound it first (a host started directly, as the in-process tests do), it binds as usual.
/// </summary>
public sealed class HttpListenSocket(IPEndPoint endPoint) : IDisposable
{
    private Socket? _socket;

    /// <exception cref="ListenException">The address cannot be bound.</exception>
    public void Bind()
    {
        if (_socket is not null)
        {
            return;
        }

        try
        {
            _socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint);
        }
        catch (SocketException e)
        {
            throw new ListenException(endPoint, "HTTP", e);
        }
    }

    /// <summary>For Kestrel: the socket bound by <see cref="Bind"/>, or a new one.</summary>
    public Socket Take(EndPoint requested) =>
        Interlocked.Exchange(ref _socket, null) ?? SocketTransportOptions.CreateDefaultBoundListenSocket(requested);

    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();
}
