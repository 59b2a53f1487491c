using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Reads dnsmasq's lease file (<c>/var/lib/misc/dnsmasq.leases</c>), so clients that got their
/// address from dnsmasq are known by the host name they sent. One lease per line:
/// <c>&lt;expiry&gt; &lt;mac&gt; &lt;ipv4&gt; &lt;hostname|*&gt; &lt;client-id|*&gt;</c>, then a
/// <c>duid &lt;server-duid&gt;</c> line and DHCPv6 leases as
/// <c>&lt;expiry&gt; &lt;iaid&gt; &lt;ipv6&gt; &lt;hostname|*&gt; &lt;client-duid&gt;</c>. An expiry of 0
/// means the lease never ends. Lines that do not fit (a half-written last line, garbage) are
/// skipped.
/// </summary>
public static class DnsmasqLeaseParser
{
    private static readonly char[] Separators = [' ', '\t'];

    /// <summary>The leases in <paramref name="text"/>, in file order.</summary>
    public static IReadOnlyList<LeaseEntry> Parse(string text)
    {
        var entries = new List<LeaseEntry>();
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (TryParseLine(line.ToString(), out LeaseEntry? entry))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>One lease line; false for the <c>duid</c> line, blank lines and anything malformed.</summary>
    public static bool TryParseLine(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LeaseEntry? entry)
    {
        entry = null;
        string[] fields = line.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4
            || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long expiry)
            || !IPAddress.TryParse(fields[2], out IPAddress? address))
        {
            return false;
        }

        DateTimeOffset? expires = null;
        if (expiry != 0)
        {
            if (expiry > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                return false;
            }

            expires = DateTimeOffset.FromUnixTimeSeconds(expiry);
        }

        MacAddress? mac = null;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // Ethernet as aa:bb:cc:dd:ee:ff; other hardware types are written "<type>-<bytes>" and give no MAC.
            if (MacAddress.TryParse(fields[1], out MacAddress parsed))
            {
                mac = parsed;
            }
        }
        else if (address.AddressFamily != AddressFamily.InterNetworkV6 || !IsIaid(fields[1]))
        {
            return false;
        }

        string? hostName = fields[3] == "*" ? null : fields[3];
        entry = new LeaseEntry(ClientAddress.FromIPAddress(address), mac, hostName, expires);
        return true;
    }

    /// <summary>The IAID of a DHCPv6 lease: decimal, prefixed with T for a temporary address.</summary>
    private static bool IsIaid(string field)
    {
        ReadOnlySpan<char> digits = field.StartsWith('T') ? field.AsSpan(1) : field;
        return uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }
}
