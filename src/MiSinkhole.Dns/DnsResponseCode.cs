namespace MiSinkhole.Dns;

/// <summary>RCODE values (RFC 1035, RFC 6891 for the extended BADVERS).</summary>
public static class DnsResponseCode
{
    public const int NoError = 0;
    public const int FormErr = 1;
    public const int ServFail = 2;
    public const int NxDomain = 3;
    public const int NotImp = 4;
    public const int Refused = 5;

    /// <summary>Extended RCODE 16: only expressible with an OPT record (upper 8 bits = 1).</summary>
    public const int BadVers = 16;
}
