using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiSinkhole.Core.QueryLog;

namespace MiSinkhole.Http;

/// <summary>
/// The live tail of the query log for the web page: <c>GET /api/querylog/live</c> (optional
/// <c>device</c> and <c>action</c>) is a stream of server-sent events, one per new row, each
/// <c>id: ROW</c> and <c>data: {row as /api/querylog gives it}</c>, oldest first. Every
/// <see cref="Every"/> it reads the rows of the last <see cref="Window"/> and sends those it has
/// not sent (so a query shows up once the writer has flushed it: <c>QueryLog:FlushInterval</c>),
/// never the DNS path. By time, not by id: in a shared PostgreSQL log two instances commit their
/// ids out of order, and a row newer than the last one sent may have a lower id. At most
/// <see cref="MaxStreams"/> are open at once. A repeat the writer collapses into an existing
/// row's count is not a new row, so it does not appear again.
/// </summary>
public static class LiveQueryLog
{
    public const int MaxStreams = 8;
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(15);
    private const int Remembered = 4096;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var open = new StrongBox<int>(); // this daemon's streams
        endpoints.MapGet("/api/querylog/live", (HttpContext http, string? device, string? action, QueryLogReader log, TimeProvider time) => StreamAsync(http, device, action, log, time, open))
            .RequireAccess(HttpAccessLevel.Api);
    }

    private static async Task StreamAsync(HttpContext http, string? device, string? action, QueryLogReader log, TimeProvider time, StrongBox<int> open)
    {
        if (Interlocked.Increment(ref open.Value) > MaxStreams)
        {
            Interlocked.Decrement(ref open.Value);
            await Results.Problem($"{MaxStreams} live tails are open already", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(http);
            return;
        }

        try
        {
            CancellationToken aborted = http.RequestAborted;
            var filter = new QueryLogFilter { Device = Blank(device), Action = Blank(action), Limit = 200 };
            // What is there already is not news: only rows written from now on are sent.
            var sent = new HashSet<long>();
            var order = new Queue<long>();
            foreach (QueryLogRow row in log.Read(filter with { Since = time.GetUtcNow() - Window }))
            {
                Remember(sent, order, row.Id);
            }

            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.WriteAsync(": live\n\n", aborted).ConfigureAwait(false); // the stream is open
            await http.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            using var timer = new PeriodicTimer(Every);
            while (await timer.WaitForNextTickAsync(aborted).ConfigureAwait(false))
            {
                IReadOnlyList<QueryLogRow> rows;
                try
                {
                    rows = log.Read(filter with { Since = time.GetUtcNow() - Window });
                }
                catch (QueryLogUnavailableException)
                {
                    continue; // the database is away: the tail goes on when it is back
                }

                if (rows.Count == 0)
                {
                    continue;
                }

                var events = new StringBuilder();
                for (int i = rows.Count - 1; i >= 0; i--)
                {
                    if (!sent.Contains(rows[i].Id))
                    {
                        Remember(sent, order, rows[i].Id);
                        events.Append("id: ").Append(rows[i].Id).Append("\ndata: ")
                            .Append(JsonSerializer.Serialize(rows[i], ApiJsonContext.Default.QueryLogRow)).Append("\n\n");
                    }
                }

                if (events.Length == 0)
                {
                    continue;
                }

                await http.Response.WriteAsync(events.ToString(), aborted).ConfigureAwait(false);
                await http.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the page went away
        }
        catch (QueryLogUnavailableException e) when (!http.Response.HasStarted)
        {
            await Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Query log unavailable").ExecuteAsync(http);
        }
        finally
        {
            Interlocked.Decrement(ref open.Value);
        }
    }

    private static void Remember(HashSet<long> sent, Queue<long> order, long id)
    {
        if (sent.Add(id))
        {
            order.Enqueue(id);
            if (order.Count > Remembered)
            {
                sent.Remove(order.Dequeue());
            }
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
