namespace MiSinkhole.Dns;

/// <summary>Resource record type codes used by the daemon (IANA DNS parameters).</summary>
public static class DnsRecordType
{
    public const ushort A = 1;
    public const ushort NS = 2;
    public const ushort CNAME = 5;
    public const ushort SOA = 6;
    public const ushort PTR = 12;
    public const ushort MX = 15;
    public const ushort TXT = 16;
    public const ushort AAAA = 28;
    public const ushort SRV = 33;
    public const ushort DNAME = 39;
    public const ushort OPT = 41;
    public const ushort DS = 43;
    public const ushort RRSIG = 46;
    public const ushort DNSKEY = 48;
    public const ushort SVCB = 64;
    public const ushort HTTPS = 65;
    public const ushort IXFR = 251;
    public const ushort AXFR = 252;
    public const ushort ANY = 255;

    public const ushort ClassIN = 1;

    private static readonly Dictionary<string, ushort> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["A"] = A,
        ["NS"] = NS,
        ["CNAME"] = CNAME,
        ["SOA"] = SOA,
        ["PTR"] = PTR,
        ["MX"] = MX,
        ["TXT"] = TXT,
        ["AAAA"] = AAAA,
        ["SRV"] = SRV,
        ["DNAME"] = DNAME,
        ["DS"] = DS,
        ["RRSIG"] = RRSIG,
        ["DNSKEY"] = DNSKEY,
        ["SVCB"] = SVCB,
        ["HTTPS"] = HTTPS,
        ["ANY"] = ANY,
    };

    /// <summary>A type by mnemonic ("AAAA") or in RFC 3597 form ("TYPE65").</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ushort type)
    {
        if (ByName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out type))
        {
            return true;
        }

        return text.StartsWith("TYPE", StringComparison.OrdinalIgnoreCase)
            && ushort.TryParse(text[4..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out type);
    }

    /// <summary>The mnemonic ("AAAA"), or the RFC 3597 form ("TYPE65280") for types without one here.</summary>
    public static string ToText(ushort type)
    {
        foreach ((string name, ushort value) in ByName)
        {
            if (value == type)
            {
                return name;
            }
        }

        return "TYPE" + type.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
