namespace MiSinkhole.Core.Stages.RateLimit;

/// <summary>Why the <c>RateLimit</c> section turned a query away (the <c>limit</c> label of its metric).</summary>
public enum LimitReason
{
    None = 0,

    /// <summary>Over the client's token bucket (UDP).</summary>
    Rate,

    /// <summary>The client already holds its share of <c>Dns:MaxInFlight</c> waiting on upstreams.</summary>
    UpstreamShare,
}
