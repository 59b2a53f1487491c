using System.Text.Json.Serialization;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Lists;

namespace MiSinkhole.Core;

/// <summary>
/// The JSON the daemon writes to disk (list download metadata, inventory rows), generated at
/// build time: no reflection, so a trimmed build reads and writes it like any other.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(ListCacheMetadata))]
[JsonSerializable(typeof(Dictionary<string, CategoryCounts>))]
[JsonSerializable(typeof(List<MatchRecord>))]
[JsonSerializable(typeof(List<UnclassifiedName>))]
[JsonSerializable(typeof(InventoryRecord))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
