namespace MiSinkhole.Core.QueryLog;

/// <summary>What to read from the query log: all filters optional; newest first, before <see cref="Cursor"/> (a row id) or after <see cref="After"/>.</summary>
public sealed record QueryLogFilter
{
    public string? Device { get; init; }

    public string? Action { get; init; }

    /// <summary>The name or any name under it ("xiaomi.com" finds "data.mistat.xiaomi.com").</summary>
    public string? Name { get; init; }

    public DateTimeOffset? Since { get; init; }

    /// <summary>Only the rows one instance answered (<c>Instance:Name</c>).</summary>
    public string? Instance { get; init; }

    public int Limit { get; init; } = 100;

    public long? Cursor { get; init; }

    /// <summary>Only rows newer than this row id (the live tail).</summary>
    public long? After { get; init; }
}
