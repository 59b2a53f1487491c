namespace MiSinkhole.Core.Devices;

/// <summary>A DHCP lease file of either daemon we read (dnsmasq or ISC dhcpd), told apart by its content.</summary>
public static class LeaseFile
{
    /// <summary>Parses a lease file in whichever format its content shows: dnsmasq lines start with a number or <c>duid</c>.</summary>
    public static (IReadOnlyList<LeaseEntry> Entries, string Format) Parse(string text)
    {
        foreach (ReadOnlySpan<char> raw in text.AsSpan().EnumerateLines())
        {
            ReadOnlySpan<char> line = raw.Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            if (char.IsAsciiDigit(line[0]) || line.StartsWith("duid "))
            {
                break;
            }

            return (IscDhcpdLeaseParser.Parse(text), "ISC dhcpd");
        }

        return (DnsmasqLeaseParser.Parse(text), "dnsmasq");
    }
}
