using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiSinkhole.Http;

/// <summary>
/// An enum in the API's JSON as its camelCase name (<c>"blocked"</c>), the spelling the query log's
/// columns and the metrics' labels use, so every endpoint says the same word the same way.
/// </summary>
internal sealed class ApiEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;
