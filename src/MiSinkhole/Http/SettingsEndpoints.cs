using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Lists;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Core.State;
using MiSinkhole.Hosting;

namespace MiSinkhole.Http;

/// <summary>
/// The API's changes to what is configured, for the web page and any other client: a device's
/// policy (<c>PUT /api/devices/{name}/policy</c>) and a new device for a client
/// (<c>POST /api/devices</c>) are written to the config file through <see cref="ConfigFileEditor"/>
/// (the same validation as a file edit; a refused change answers its problems and writes nothing);
/// a review decision (<c>POST /api/review</c>) is appended to its local list as
/// <c>misinkhole review</c> does, and the rules reloaded before it answers. <c>GET /api/status</c>: the lists and upstreams at a glance.
/// </summary>
public static class SettingsEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder api = endpoints.MapGroup("/api").RequireAccess(HttpAccessLevel.Api);
        api.MapPut("/devices/{name}/policy", (string name, PolicyChange? change, ActiveConfig config, ConfigFileEditor editor, SharedState shared) =>
        {
            if (config.Current.Devices.Find(name) is not { } device)
            {
                return Results.Problem($"no configured device named '{name}' (name a client first: POST /api/devices)", statusCode: StatusCodes.Status404NotFound, title: "Not found");
            }

            if (change?.Policy is not { Length: > 0 } policy)
            {
                return BadRequest("policy", "a policy is needed: { \"policy\": \"strict\" }");
            }

            ConfigEdit[] edits = [new ConfigEdit(["Devices", device.Name, "Policy"], JsonTextEditor.Quote(policy))];
            ConfigEditResult result = editor.Apply($"{device.Name}: policy {policy}", edits,
                options => options.Devices.Devices.FirstOrDefault(d => d.Name.Equals(device.Name, StringComparison.OrdinalIgnoreCase))?.Policy?.Equals(policy, StringComparison.OrdinalIgnoreCase) == true
                    ? null
                    : $"Devices:{device.Name}:Policy is set by an environment variable or the command line, which override the file");
            Share(shared, result, $"{device.Name}: policy {policy}", edits);
            return Answer(result);
        });
        api.MapPost("/devices", (NewDevice? device, ActiveConfig config, ConfigFileEditor editor, SharedState shared) =>
        {
            string? name = device?.Name?.Trim();
            if (string.IsNullOrEmpty(name))
            {
                return BadRequest("name", "a name is needed: { \"name\": \"kids-tablet\", \"match\": [ \"192.168.1.23\" ] }");
            }

            string[] match = [.. (device!.Match ?? []).Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim())];
            if (match.Length == 0)
            {
                return BadRequest("match", "what recognises the device is needed: an address, a MAC address, a range or clientid:ID");
            }

            if (config.Current.Devices.Find(name) is not null || name.Equals("unknown", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Problem($"a device named '{name}' is configured already", statusCode: StatusCodes.Status409Conflict, title: "Conflict");
            }

            string value = device.Policy is { Length: > 0 } policy
                ? $"{{ \"Match\": {JsonTextEditor.Array(match)}, \"Policy\": {JsonTextEditor.Quote(policy)} }}"
                : $"{{ \"Match\": {JsonTextEditor.Array(match)} }}";
            ConfigEdit[] edits = [new ConfigEdit(["Devices", name], value, New: true)];
            string what = $"new device {name} ({string.Join(", ", match)})";
            ConfigEditResult result = editor.Apply(what, edits);
            Share(shared, result, what, edits);
            return Answer(result, StatusCodes.Status201Created);
        });
        api.MapPost("/review", (ReviewRequest? review, ActiveConfig config, ListRefreshService lists, SharedState shared, TimeProvider time) =>
        {
            if (string.IsNullOrWhiteSpace(review?.Name))
            {
                return BadRequest("name", "a name is needed: { \"name\": \"tracking.intl.miui.com\", \"decision\": \"telemetry\" }");
            }

            if (ReviewDecision.Parse(review.Decision) is not { } decision)
            {
                return BadRequest("decision", $"'{review.Decision}' is not one of {string.Join(", ", ReviewDecision.All.Select(d => d.Word))}");
            }

            try
            {
                ReviewOutcome outcome = LocalDecisions.Apply(config.Current, review.Name.Trim(), decision, "from the web page or API", time.GetLocalNow());
                lists.ReloadChangedLocalFiles(outcome.Appended ? outcome.File : null); // in force when this answers, not at the next pass
                shared.Publish(ReviewChangeHandler.KindName, review.Name.Trim(), decision.Word);
                return Results.Ok(outcome);
            }
            catch (ArgumentException e)
            {
                return Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Refused");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Results.Problem($"cannot write the local list: {e.Message}", statusCode: StatusCodes.Status500InternalServerError, title: "Cannot write");
            }
        });
        api.MapGet("/status", (ActiveConfig config, ListRefreshService lists, UpstreamResolver upstreams, ConfigFileEditor editor) =>
        {
            ConfigSnapshot snapshot = config.Current;
            var rules = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < snapshot.ListRuleCounts.Count; i++)
            {
                rules[snapshot.ListName(i)] = snapshot.ListRuleCounts[i];
            }

            return Results.Ok(new StatusResponse(
                editor.FilePath,
                snapshot.CompiledAt,
                [.. snapshot.Policies.Keys.Order(StringComparer.OrdinalIgnoreCase)],
                [.. snapshot.Options.Lists.Select(l => new ListStatus(l.Name, l.Enabled, rules.GetValueOrDefault(l.Name), l.Subscriptions.Count > 0,
                    lists.LastGoodRefreshByList.TryGetValue(l.Name, out DateTimeOffset at) ? at : null, lists.FailuresByList.GetValueOrDefault(l.Name)))],
                upstreams.Status()));
        });
    }

    /// <summary>An applied change, for the other instances (nothing without a shared state).</summary>
    private static void Share(SharedState shared, ConfigEditResult result, string what, IReadOnlyList<ConfigEdit> edits)
    {
        if (result.Applied)
        {
            shared.Publish(ConfigChangeHandler.KindName, what, ConfigChangeHandler.Value(edits));
        }
    }

    private static IResult Answer(ConfigEditResult result, int success = StatusCodes.Status200OK) =>
        result.Applied
            ? Results.Json(result, ApiJsonContext.Default.ConfigEditResult, statusCode: success)
            : Results.Problem(result.Message, statusCode: result.Status, title: "Change refused",
                extensions: new Dictionary<string, object?> { ["errors"] = result.Errors.ToArray() });

    private static IResult BadRequest(string parameter, string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: $"Bad parameter: {parameter}");
}
