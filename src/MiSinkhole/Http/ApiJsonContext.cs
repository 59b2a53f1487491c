using System.Text.Json;
using System.Text.Json.Serialization;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.Rules;

namespace MiSinkhole.Http;

/// <summary>The API's JSON, generated at build time (camelCase, enums as names): no reflection, so a trimmed build serves it too.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(QueryLogStats))]
[JsonSerializable(typeof(QueryLogPage))]
[JsonSerializable(typeof(DevicesResponse))]
[JsonSerializable(typeof(Explanation))]
[JsonSerializable(typeof(PauseResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
