namespace MiSinkhole.Http;

/// <summary>What an HTTP endpoint needs from its caller (endpoint metadata, read by <see cref="HttpAccess"/>; an endpoint without it counts as <see cref="Api"/>).</summary>
public enum HttpAccessLevel
{
    /// <summary>Anyone on the network: <c>/healthz</c>, <c>/readyz</c>.</summary>
    Open,

    /// <summary><c>/metrics</c>: open, unless <c>Http:MetricsToken</c> is set; then that token or the API token.</summary>
    Metrics,

    /// <summary><c>/api</c>: the API token (or a loopback caller with <c>Http:TrustLoopback</c>).</summary>
    Api,
}
