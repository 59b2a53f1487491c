using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace MiSinkhole.TestKit;

/// <summary>
/// A DoT server of our own on 127.0.0.1 that goes silent: its first connection answers its first
/// query and then neither reads nor answers nor closes (like a half-open connection whose far end
/// is gone); every later connection answers everything (A 192.0.2.1, as <see cref="FakeUpstream"/>).
/// </summary>
public sealed class SilentTlsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<TcpClient> _clients = [];
    private readonly TimeSpan? _lateBy;
    private int _accepted;

    /// <param name="certificate">The server's certificate.</param>
    /// <param name="lateBy">
    /// Null: the first connection answers its first query and then nothing. Set: the first
    /// connection answers every later query only after this long (slow, not dead), and every
    /// other connection reads and never answers.
    /// </param>
    public SilentTlsServer(X509Certificate2 certificate, TimeSpan? lateBy = null)
    {
        _certificate = certificate;
        _lateBy = lateBy;
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
        }

        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // the loop ends with the listener
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            lock (_clients)
            {
                _clients.Add(client);
            }

            int index = Interlocked.Increment(ref _accepted) - 1;
            _ = ServeAsync(client, silentAfterFirst: index == 0, first: index == 0);
        }
    }

    private async Task ServeAsync(TcpClient client, bool silentAfterFirst, bool first)
    {
        int answered = 0;
        try
        {
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            while (true)
            {
                byte[]? query = await RawClient.ReadFrameAsync(tls, _stop.Token);
                if (query is null)
                {
                    return;
                }

                if (_lateBy is { } late && (!first || answered > 0))
                {
                    if (!first)
                    {
                        continue; // reads, never answers
                    }

                    await Task.Delay(late, _stop.Token);
                }

                await tls.WriteAsync(RawClient.Frame(FakeUpstream.DefaultAnswer(FakeQuery.Parse(query, tcp: true, (IPEndPoint)client.Client.RemoteEndPoint!)).Bytes!), _stop.Token);
                answered++;
                if (silentAfterFirst && _lateBy is null)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token); // open, reading nothing, answering nothing
                }
            }
        }
        catch (Exception)
        {
            // stopping, or the client left
        }
    }
}
