using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>TCP connections to a DoT or DoH upstream: its written address, or the addresses bootstrap found for its name, in order.</summary>
public static class UpstreamSockets
{
    /// <summary>Connects to the first address that accepts within <paramref name="token"/>.</summary>
    /// <exception cref="SocketException">No address accepted, or bootstrap has none yet (HostNotFound).</exception>
    public static async Task<Socket> ConnectAsync(UpstreamServer server, BootstrapAddresses? bootstrap, CancellationToken token)
    {
        IReadOnlyList<IPAddress> addresses = server.Address is { } address ? [address]
            : bootstrap is not null ? await bootstrap.GetAsync(token).ConfigureAwait(false)
            : throw new SocketException((int)SocketError.HostNotFound);
        SocketException? last = null;
        foreach (IPAddress candidate in addresses)
        {
            var socket = new Socket(candidate.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(candidate, server.Port), token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
