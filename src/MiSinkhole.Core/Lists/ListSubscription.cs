namespace MiSinkhole.Core.Lists;

/// <summary>A list source given as a URL, and the file its last good download is kept in.</summary>
public sealed record ListSubscription(Uri Url, string CachePath);
