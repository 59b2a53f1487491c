using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.QueryLog;

/// <summary>
/// One query as the query log stores it. Pooled and reused (the name is copied into a fixed
/// buffer), so logging a query allocates nothing on the DNS path; the writer turns it into a row.
/// </summary>
public sealed class QueryLogEvent
{
    public byte[] WireName { get; } = new byte[256];

    public int WireNameLength { get; set; }

    public long UnixMilliseconds { get; set; }

    public string Device { get; set; } = "unknown";

    public ClientAddress Client { get; set; }

    /// <summary>The trusted forwarder that named <see cref="Client"/>; null: the client asked directly.</summary>
    public ClientAddress? Forwarder { get; set; }

    public ushort Type { get; set; }

    public Outcome Outcome { get; set; }

    public PolicyAction Action { get; set; }

    public string? List { get; set; }

    /// <summary>For an unclassified Xiaomi name: the zone list it is under (the row's action is then <c>unclassified</c> unless a policy acted on its answer).</summary>
    public string? Unclassified { get; set; }

    /// <summary>The snapshot the decision was made with: the writer finds the rule in it.</summary>
    public ConfigSnapshot? Rules { get; set; }

    public int ResponseCode { get; set; }

    public double LatencyMilliseconds { get; set; }

    public ReadOnlySpan<byte> Name => WireName.AsSpan(0, WireNameLength);
}
