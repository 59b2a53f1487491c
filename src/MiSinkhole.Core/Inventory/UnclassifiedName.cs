namespace MiSinkhole.Core.Inventory;

/// <summary>
/// One unclassified Xiaomi name a client asked for (under a zone of <paramref name="List"/>, and
/// decided by no list): how often, and when first and last.
/// </summary>
/// <param name="List">The zone list the name was found under (<c>Discovery:Zones</c>).</param>
public sealed record UnclassifiedName(string Name, string List, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
