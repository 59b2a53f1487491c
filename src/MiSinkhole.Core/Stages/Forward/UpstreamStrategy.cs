namespace MiSinkhole.Core.Stages.Forward;

/// <summary><c>Upstreams:Strategy</c>: how the configured servers share the queries.</summary>
public enum UpstreamStrategy
{
    /// <summary>In the order written; the next only when one fails or does not answer in time.</summary>
    Failover,

    /// <summary>The two best by recent latency and failures are asked at once; the first good answer wins.</summary>
    ParallelBest,

    /// <summary>One server per query, chosen with weights by recent latency.</summary>
    LoadBalance,
}
