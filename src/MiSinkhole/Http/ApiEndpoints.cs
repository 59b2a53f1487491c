using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Explain;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.State;
using MiSinkhole.Dns;

namespace MiSinkhole.Http;

/// <summary>
/// The JSON API under <c>/api</c>: stats and the query log (from the SQLite query log), the
/// device inventory and its unclassified Xiaomi names, explain, and pausing blocking. Parameters are checked here; a bad one gets
/// 400 with a problem body naming it. Every endpoint needs the API token (<see cref="HttpAccess"/>, before any of them runs);
/// the reads that cost CPU run a few at a time (<see cref="CostlyReads"/>).
/// </summary>
public static class ApiEndpoints
{
    private const int MaxLimit = 1000;
    private const int MaxPauseMinutes = 24 * 60;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder api = endpoints.MapGroup("/api").RequireAccess(HttpAccessLevel.Api);
        // A shared query log (PostgreSQL) that is away: 503 for its reads, while DNS goes on.
        api.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (QueryLogUnavailableException e)
            {
                return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Query log unavailable");
            }
        });
        CostlyReads costly = endpoints.ServiceProvider.GetRequiredService<CostlyReads>();
        api.MapGet("/stats", (string? since, QueryLogReader log, TimeProvider time) =>
            ParseSince(since, time, out DateTimeOffset from, out IResult? bad) ? Results.Ok(log.Stats(from)) : bad!)
            .AddEndpointFilter(new CostlyReadFilter(costly));
        api.MapGet("/stats/timeline", Timeline).AddEndpointFilter(new CostlyReadFilter(costly));
        // By name it scans the log (names under it too); the other filters use its indexes.
        api.MapGet("/querylog", QueryLog).AddEndpointFilter(new CostlyReadFilter(costly, http => http.Request.Query.ContainsKey("name")));
        api.MapGet("/devices", Devices);
        api.MapGet("/unclassified", (string? device, UnclassifiedNames unclassified) => Results.Ok(unclassified.Report(string.IsNullOrWhiteSpace(device) ? null : device.Trim(), others: true)));
        api.MapGet("/explain", (string? name, string? device, string? type, RuleExplainer explainer) =>
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                return BadRequest("name", "a domain name is needed: /api/explain?name=data.mistat.xiaomi.com");
            }

            try
            {
                return Results.Ok(explainer.Explain(name, type ?? "A", device));
            }
            catch (ArgumentException e)
            {
                return BadRequest(device is not null && e.Message.Contains("device", StringComparison.Ordinal) ? "device" : "name or type", e.Message);
            }
        }).AddEndpointFilter(new CostlyReadFilter(costly));
        api.MapPost("/devices/{name}/pause", (string name, string? minutes, string? until, BlockingPause pause, ActiveConfig config, SharedState shared, TimeProvider time) =>
        {
            if (!name.Equals("unknown", StringComparison.OrdinalIgnoreCase) && config.Current.Devices.Find(name) is null)
            {
                return Results.Problem($"no device named '{name}' (configured devices, or 'unknown' for clients that are no device)", statusCode: StatusCodes.Status404NotFound, title: "Not found");
            }

            if (until is not null)
            {
                // Until a time (the page's "until 21:00"): the same bound as minutes.
                TimeSpan left = DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset end) ? end - time.GetUtcNow() : TimeSpan.MinValue;
                if (left <= TimeSpan.Zero || left > TimeSpan.FromMinutes(MaxPauseMinutes))
                {
                    return BadRequest("until", $"until={until}: a time in the next {MaxPauseMinutes / 60} hours is needed (2026-12-04T21:00:00Z)");
                }

                return Paused(shared, name, pause.Pause(name, left), 1);
            }

            return ParseMinutes(minutes, out int duration, out IResult? bad) ? Paused(shared, name, pause.Pause(name, TimeSpan.FromMinutes(duration)), duration) : bad!;
        });
        api.MapPost("/pause", (string? minutes, BlockingPause pause, SharedState shared) =>
            ParseMinutes(minutes, out int duration, out IResult? bad) ? Paused(shared, BlockingPause.Everyone, pause.PauseAll(TimeSpan.FromMinutes(duration)), duration) : bad!);
    }

    private static IResult Timeline(string? since, string? step, string? device, QueryLogReader log, TimeProvider time)
    {
        DateTimeOffset now = time.GetUtcNow(); // one reading: a second one could add a step
        if (!ParseSince(since, now, out DateTimeOffset from, out IResult? bad))
        {
            return bad!;
        }

        TimeSpan span = now - from;
        TimeSpan width = span <= TimeSpan.FromDays(2) ? TimeSpan.FromHours(1) : span <= TimeSpan.FromDays(14) ? TimeSpan.FromHours(6) : TimeSpan.FromDays(1);
        if (step is not null && (!ConfigValue.TryParseDuration(step, out width) || width < TimeSpan.FromMinutes(1)))
        {
            return BadRequest("step", $"'{step}' is not a duration of a minute or more (5m, 1h, 1d)");
        }

        long steps = (long)Math.Ceiling(span / width);
        if (steps > QueryLogReader.MaxBuckets)
        {
            return BadRequest("step", $"{QueryLogReader.MaxBuckets} steps at most: a step of {width} from {from:u} makes {steps}");
        }

        return Results.Ok(log.Timeline(from, now, width, string.IsNullOrWhiteSpace(device) ? null : device.Trim()));
    }

    private static IResult QueryLog(string? device, string? action, string? name, string? since, string? limit, string? cursor, string? instance, QueryLogReader log, TimeProvider time)
    {
        if (action is not (null or "blocked" or "logged" or "allowed" or QueryLogWriter.UnclassifiedAction or "none"))
        {
            return BadRequest("action", $"'{action}' is not blocked, logged, allowed, unclassified or none");
        }

        Span<byte> wire = stackalloc byte[256];
        if (name is not null && !DnsName.TryFromText(name, wire, out _))
        {
            return BadRequest("name", $"'{name}' is not a domain name");
        }

        int count = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
        {
            return BadRequest("limit", $"'{limit}' is not a number from 1 to {MaxLimit}");
        }

        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                return BadRequest("cursor", $"'{cursor}' is not a cursor (the nextCursor of a previous page)");
            }

            before = id;
        }

        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!ParseSince(since, time, out DateTimeOffset parsed, out IResult? bad))
            {
                return bad!;
            }

            from = parsed;
        }

        IReadOnlyList<QueryLogRow> rows = log.Read(new QueryLogFilter { Device = device, Action = action, Instance = string.IsNullOrWhiteSpace(instance) ? null : instance.Trim(), Name = name?.TrimEnd('.').ToLowerInvariant(), Since = from, Limit = count, Cursor = before });
        return Results.Ok(new QueryLogPage(rows, rows.Count == count ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }

    private static IResult Devices(DeviceInventory inventory, SharedInventory shared, ActiveConfig config, BlockingPause pause, ClientPolicyResolver resolver)
    {
        ConfigSnapshot snapshot = config.Current;
        IReadOnlyList<InventoryRecord> seen = shared.Merge(inventory.List()); // with what other instances saw, when they share a state
        return Results.Ok(new DevicesResponse(
            [.. snapshot.Devices.Devices.Select(d =>
            {
                ClientPolicy now = resolver.ForDevice(d);
                return new ConfiguredDeviceView(
                    d.Name,
                    d.Policy.Name,
                    [.. d.Options.Addresses.Select(a => a.ToString()).Concat(d.Options.Macs.Select(m => m.ToString())).Concat(d.Options.Networks.Select(n => n.ToString())).Concat(d.Options.ClientIds.Select(id => "clientid:" + id))],
                    seen.Any(r => r.Device == d.Name))
                {
                    PolicyInForce = now.Policy.Name,
                    Why = ClientPolicyText.Describe(now, resolver.Time),
                };
            })],
            seen,
            pause.Active));
    }

    /// <summary>The answer of a pause (0 minutes: a resume), shared with the other instances.</summary>
    private static IResult Paused(SharedState shared, string device, DateTimeOffset until, int minutes)
    {
        shared.Publish(PauseChangeHandler.KindName, device, PauseChangeHandler.Value(minutes > 0 ? until : null));
        return Results.Ok(new PauseResponse(device, minutes > 0, minutes > 0 ? until : null));
    }

    private static bool ParseSince(string? text, TimeProvider time, out DateTimeOffset since, out IResult? bad) =>
        ParseSince(text, time.GetUtcNow(), out since, out bad);

    private static bool ParseSince(string? text, DateTimeOffset now, out DateTimeOffset since, out IResult? bad)
    {
        bad = null;
        since = now.AddDays(-1);
        if (text is null)
        {
            return true;
        }

        if (ConfigValue.TryParseDuration(text, out TimeSpan ago))
        {
            since = now - ago;
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            return true;
        }

        bad = BadRequest("since", $"'{text}' is not a duration (24h, 7d) or a time (2026-11-24T08:00:00Z)");
        return false;
    }

    private static bool ParseMinutes(string? text, out int minutes, out IResult? bad)
    {
        bad = null;
        minutes = 0;
        if (text is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out minutes) && minutes <= MaxPauseMinutes)
        {
            return true;
        }

        bad = BadRequest("minutes", $"minutes={text ?? "(missing)"}: a whole number from 0 (resume) to {MaxPauseMinutes} is needed");
        return false;
    }

    private static IResult BadRequest(string parameter, string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: $"Bad parameter: {parameter}");
}
