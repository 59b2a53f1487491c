using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiSinkhole.TestKit;

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener) serving a rule list, with ETag support; tests set
/// <see cref="Body"/>, <see cref="Status"/> and <see cref="ContentType"/> and read <see cref="Requests"/>.
/// </summary>
public sealed class FakeListServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    public FakeListServer()
    {
        // HttpListener cannot bind port 0: take a free port, and another if a parallel test took it first.
        for (int attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
                continue;
            }

            _listener = listener;
            Url = new Uri($"http://127.0.0.1:{port}/list.txt");
            break;
        }

        _loop = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    public string Body { get; set; } = "";

    public int Status { get; set; } = 200;

    public string ContentType { get; set; } = "text/plain";

    /// <summary>Send the headers and the first bytes of the body, then nothing more until disposed (a stalled download).</summary>
    public bool StallBody { get; set; }

    /// <summary>The ETag sent with the body; a request whose If-None-Match equals it gets 304.</summary>
    public string? ETag { get; set; }

    /// <summary>The If-None-Match header of every request (empty when absent).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public void Dispose()
    {
        if (!_listener.IsListening)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task StallAsync(HttpListenerResponse response, byte[] body)
    {
        try
        {
            await response.OutputStream.WriteAsync(body.AsMemory(0, Math.Min(16, body.Length)));
            await response.OutputStream.FlushAsync();
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception)
        {
            // stopped, or the client gave up
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }

            string ifNoneMatch = context.Request.Headers["If-None-Match"] ?? "";
            Requests.Enqueue(ifNoneMatch);
            HttpListenerResponse response = context.Response;
            if (ETag is not null && ifNoneMatch == ETag)
            {
                response.StatusCode = 304;
                response.Close();
                continue;
            }

            response.StatusCode = Status;
            response.ContentType = ContentType;
            if (ETag is not null)
            {
                response.Headers["ETag"] = ETag;
            }

            byte[] body = Encoding.UTF8.GetBytes(Body);
            response.ContentLength64 = body.Length;
            if (StallBody)
            {
                _ = StallAsync(response, body);
                continue;
            }

            await response.OutputStream.WriteAsync(body);
            response.Close();
        }
    }
}
