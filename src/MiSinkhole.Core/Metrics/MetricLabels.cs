using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Metrics;

/// <summary>
/// The fixed label values of our metrics, as interned strings, so recording a query never
/// formats or allocates a label, and cardinality stays bounded (a fixed set of query types plus
/// <c>other</c>; devices are configured names or <c>unknown</c>, never addresses).
/// </summary>
public static class MetricLabels
{
    public static string Outcome(Outcome outcome) => outcome switch
    {
        Pipeline.Outcome.Blocked => "blocked",
        Pipeline.Outcome.Cached => "cached",
        Pipeline.Outcome.Forwarded => "forwarded",
        Pipeline.Outcome.Failed => "failed",
        Pipeline.Outcome.Refused => "refused",
        Pipeline.Outcome.FormErr => "formerr",
        Pipeline.Outcome.NotImp => "notimp",
        Pipeline.Outcome.Dropped => "dropped",
        Pipeline.Outcome.Limited => "limited",
        Pipeline.Outcome.Stale => "stale",
        _ => "none",
    };

    public static string Action(PolicyAction action) => action switch
    {
        PolicyAction.Blocked => "blocked",
        PolicyAction.Logged => "logged",
        PolicyAction.Allowed => "allowed",
        _ => "none",
    };

    /// <summary>The query types counted by name; every other type is <c>other</c> (the last one).</summary>
    public static readonly string[] QueryTypes = ["A", "AAAA", "HTTPS", "SVCB", "CNAME", "MX", "TXT", "PTR", "SRV", "NS", "SOA", "ANY", "other"];

    /// <summary>The position of <paramref name="type"/> in <see cref="QueryTypes"/>.</summary>
    public static int QueryTypeIndex(ushort type) => type switch
    {
        DnsRecordType.A => 0,
        DnsRecordType.AAAA => 1,
        DnsRecordType.HTTPS => 2,
        DnsRecordType.SVCB => 3,
        DnsRecordType.CNAME => 4,
        DnsRecordType.MX => 5,
        DnsRecordType.TXT => 6,
        DnsRecordType.PTR => 7,
        DnsRecordType.SRV => 8,
        DnsRecordType.NS => 9,
        DnsRecordType.SOA => 10,
        DnsRecordType.ANY => 11,
        _ => 12,
    };
}
