using MiSinkhole.Dns;

namespace MiSinkhole.Core.Configuration;

/// <summary>One entry of the <c>Policies</c> section: which lists block, log or allow, and how blocks answer.</summary>
public sealed record PolicyOptions
{
    public required string Name { get; init; }

    public IReadOnlyList<string> Block { get; init; } = [];

    public IReadOnlyList<string> Log { get; init; } = [];

    public IReadOnlyList<string> Allow { get; init; } = [];

    public BlockResponseMode BlockResponse { get; init; } = BlockResponseMode.NullIp;

    /// <summary>For <see cref="BlockResponseMode.CustomAddresses"/>: the addresses blocked A/AAAA queries get.</summary>
    public IReadOnlyList<System.Net.IPAddress> BlockAddresses { get; init; } = [];

    public TimeSpan BlockTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The schedule (name in <c>Schedules</c>) during which this policy applies; null: always.</summary>
    public string? Schedule { get; init; }

    /// <summary>The policy that applies outside <see cref="Schedule"/>; null: none (nothing blocked or logged).</summary>
    public string? Otherwise { get; init; }
}
