namespace MiSinkhole.Core.Configuration;

/// <summary>A list source on the web and the file its last good download is kept in.</summary>
public sealed record ListSubscription(Uri Url, string CachePath);
