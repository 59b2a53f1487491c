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
    public static string Transport(DnsTransport transport) => transport == DnsTransport.Tcp ? "tcp" : "udp";

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
        _ => "none",
    };

    public static string Action(PolicyAction action) => action switch
    {
        PolicyAction.Blocked => "blocked",
        PolicyAction.Logged => "logged",
        PolicyAction.Allowed => "allowed",
        _ => "none",
    };

    public static string QueryType(ushort type) => type switch
    {
        DnsRecordType.A => "A",
        DnsRecordType.AAAA => "AAAA",
        DnsRecordType.HTTPS => "HTTPS",
        DnsRecordType.SVCB => "SVCB",
        DnsRecordType.CNAME => "CNAME",
        DnsRecordType.MX => "MX",
        DnsRecordType.TXT => "TXT",
        DnsRecordType.PTR => "PTR",
        DnsRecordType.SRV => "SRV",
        DnsRecordType.NS => "NS",
        DnsRecordType.SOA => "SOA",
        DnsRecordType.ANY => "ANY",
        _ => "other",
    };
}
