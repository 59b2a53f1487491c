using System.Text.Json;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.State;

namespace MiSinkhole.Hosting;

/// <summary>
/// A change to the config made on another instance (a policy switch, a named client): the same
/// keys set in this instance's own file through <see cref="ConfigFileEditor"/>, so the file stays
/// the source of truth here too. Its value: the edits as JSON, <c>[{"path": [...], "value": "…", "new": false}]</c>.
/// A change this config cannot take (a policy it lacks, a name it has by hand) is logged and left.
/// </summary>
public sealed partial class ConfigChangeHandler(ConfigFileEditor editor, ILogger<ConfigChangeHandler> logger) : ISharedChangeHandler
{
    public const string KindName = "config";

    public string Kind => KindName;

    public static string Value(IReadOnlyList<ConfigEdit> edits)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (ConfigEdit edit in edits)
            {
                json.WriteStartObject();
                json.WriteStartArray("path");
                foreach (string section in edit.Path)
                {
                    json.WriteStringValue(section);
                }

                json.WriteEndArray();
                json.WriteString("value", edit.Value);
                json.WriteBoolean("new", edit.New);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Apply(SharedChange change)
    {
        List<ConfigEdit> edits = [];
        using (JsonDocument document = JsonDocument.Parse(change.Value))
        {
            foreach (JsonElement edit in document.RootElement.EnumerateArray())
            {
                edits.Add(new ConfigEdit([.. edit.GetProperty("path").EnumerateArray().Select(p => p.GetString()!)], edit.GetProperty("value").GetString()!, edit.GetProperty("new").GetBoolean()));
            }
        }

        ConfigEditResult result = editor.Apply($"{change.Subject} (made on {change.Instance})", edits);
        if (!result.Applied)
        {
            LogNotApplied(change.Subject, change.Instance, result.Message + (result.Errors.Count > 0 ? " " + string.Join("; ", result.Errors) : ""));
        }
    }

    [LoggerMessage(EventId = LogEventIds.ConfigEditor + 10, Level = LogLevel.Warning, Message = "Shared state: {What} made on {Instance} is not applied to this config: {Problem}")]
    private partial void LogNotApplied(string what, string instance, string problem);
}
