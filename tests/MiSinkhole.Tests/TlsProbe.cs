using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace MiSinkhole.Tests;

/// <summary>Raw TCP and TLS clients for the encrypted listeners (DoT, DoH): connect, wait to be closed, see the certificate.</summary>
internal static class TlsProbe
{
    /// <summary>
    /// These clients look at what the server presents (which certificate, which protocol); whether a
    /// client can trust it is kdig's part, with the test CA (+tls-ca).
    /// </summary>
    internal static bool Presented(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => certificate is not null;

    internal static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    /// <summary>Bytes read (0: the server closed), or -1 when nothing happened within <paramref name="within"/>.</summary>
    internal static async Task<int> ReadOrClosedAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return -1;
        }
        catch (SocketException)
        {
            return 0; // reset: closed as well
        }
    }

    /// <summary>The thumbprint of the certificate a new handshake presents.</summary>
    internal static async Task<string> PresentedAsync(IPEndPoint endPoint, string host)
    {
        using Socket socket = await ConnectAsync(endPoint);
        await using var tls = new SslStream(new NetworkStream(socket));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host, RemoteCertificateValidationCallback = Presented });
        return tls.RemoteCertificate is X509Certificate2 certificate ? certificate.Thumbprint : new X509Certificate2(tls.RemoteCertificate!).Thumbprint;
    }
}
