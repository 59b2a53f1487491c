namespace MiSinkhole.Core.QueryLog;

/// <summary>A name and how often it was asked.</summary>
public sealed record NameCount(string Name, long Count);
