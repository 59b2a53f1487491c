namespace MiSinkhole.Http;

/// <summary>
/// One list at a glance: whether it is on, the rules it holds now, whether it downloads (URL
/// sources), when it last got a good copy and how many downloads failed since start.
/// </summary>
public sealed record ListStatus(string Name, bool Enabled, int Rules, bool Downloads, DateTimeOffset? LastRefresh, long Failures);
