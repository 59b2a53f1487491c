using System.Text.Json;
using System.Text.Json.Serialization;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Explain;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.Rules;

namespace MiSinkhole.Http;

/// <summary>
/// The API's JSON, generated at build time: no reflection, so a trimmed build serves it too.
/// Property names and enum values are camelCase (<c>"action": "blocked"</c>, as in the query
/// log); an enum that reaches the API gets its <see cref="ApiEnumConverter{TEnum}"/> here (a test
/// walks the response types for enums without one). The HTTP endpoints serialize with their own
/// options, this context being one resolver of them, so DaemonHost copies these converters there.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, Converters = [typeof(ApiEnumConverter<PolicyAction>), typeof(ApiEnumConverter<RuleScope>), typeof(ApiEnumConverter<PolicySource>), typeof(ApiEnumConverter<MiSinkhole.Core.Stages.Forward.UpstreamProtocol>)])]
[JsonSerializable(typeof(QueryLogStats))]
[JsonSerializable(typeof(QueryLogPage))]
[JsonSerializable(typeof(DevicesResponse))]
[JsonSerializable(typeof(Explanation))]
[JsonSerializable(typeof(PauseResponse))]
[JsonSerializable(typeof(UnclassifiedReport))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(QueryLogRow))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(PolicyChange))]
[JsonSerializable(typeof(NewDevice))]
[JsonSerializable(typeof(ReviewRequest))]
[JsonSerializable(typeof(ReviewOutcome))]
[JsonSerializable(typeof(MiSinkhole.Hosting.ConfigEditResult))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(QueryTimeline))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
