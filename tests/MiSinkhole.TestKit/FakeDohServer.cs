using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MiSinkhole.TestKit;

/// <summary>
/// A DoH server of our own (Kestrel, HTTPS, HTTP/2 only) on 127.0.0.1 at <c>/dns-query</c>: it
/// records every request body exactly as it arrived, and answers with <see cref="Handler"/> (by
/// default the <see cref="FakeUpstream"/> answer to the query), as <c>application/dns-message</c>.
/// </summary>
public sealed class FakeDohServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeDohServer(WebApplication app)
    {
        _app = app;
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public int Port { get; }

    /// <summary>The request bodies, as sent.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    /// <summary>The HTTP versions requests came in (e.g. HTTP/2).</summary>
    public ConcurrentQueue<string> Protocols { get; } = new();

    /// <summary>What to answer a query with (the answer's bytes); null closes the whole connection instead (TCP, not just the stream).</summary>
    public Func<byte[], byte[]?> Handler { get; set; } = query => FakeUpstream.DefaultAnswer(FakeQuery.Parse(query, tcp: true, new IPEndPoint(IPAddress.Loopback, 0))).Bytes!;

    /// <summary>Queries it takes and never answers (the stream stays open, the connection sends nothing more), until the server stops.</summary>
    public Func<byte[], bool> Hang { get; set; } = _ => false;

    /// <summary>How long each answer waits before it is sent (awaited: no thread is held).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    /// <summary>The status of every response (200 unless a test says otherwise).</summary>
    public int Status { get; set; } = 200;

    /// <summary>The content type of every response.</summary>
    public string ContentType { get; set; } = "application/dns-message";

    public string Url(string host = "127.0.0.1") => $"https://{host}:{Port}/dns-query";

    /// <param name="certificate">The server's certificate.</param>
    /// <param name="maxStreams">The streams it takes at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused.</param>
    public static async Task<FakeDohServer> StartAsync(X509Certificate2 certificate, int maxStreams = 100)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = maxStreams;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(certificate);
            });
        });
        WebApplication app = builder.Build();
        FakeDohServer? server = null;
        app.MapPost("/dns-query", async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            byte[] query = body.ToArray();
            server!.Received.Enqueue(query);
            server.Protocols.Enqueue(context.Request.Protocol);
            if (server.Hang(query))
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (server.Delay > TimeSpan.Zero)
            {
                await Task.Delay(server.Delay, context.RequestAborted);
            }

            byte[]? answer = server.Handler(query);
            if (answer is null)
            {
                context.Features.Get<IConnectionLifetimeFeature>()!.Abort();
                return;
            }

            context.Response.StatusCode = server.Status;
            context.Response.ContentType = server.ContentType;
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer);
        });
        await app.StartAsync();
        server = new FakeDohServer(app);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
