using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Reads the text of Linux <c>/proc/net/arp</c>, the IPv4-only neighbour table that every Linux
/// exposes without netlink (a container or a hardened host may refuse netlink sockets). Columns:
/// <c>IP address, HW type, Flags, HW address, Mask, Device</c>; the header line and any line
/// that does not parse are skipped, never thrown on.
/// </summary>
public static class ProcNetArpParser
{
    /// <summary>ATF_COM: the entry is complete (the kernel sets it for every NUD_VALID state except NOARP).</summary>
    private const uint CompleteFlag = 0x2;

    /// <summary>Parses <paramref name="text"/> into a new list.</summary>
    public static IReadOnlyList<NeighbourEntry> Parse(ReadOnlySpan<char> text)
    {
        var entries = new List<NeighbourEntry>();
        Parse(text, entries);
        return entries;
    }

    /// <summary>
    /// Adds the complete entries of <paramref name="text"/> to <paramref name="entries"/>: incomplete
    /// or failed ones (flags without ATF_COM, such as 0x0), proxy-ARP entries (0xc), all-zero and
    /// non-Ethernet-length hardware addresses and malformed lines are skipped. Returns how many were added.
    /// </summary>
    public static int Parse(ReadOnlySpan<char> text, ICollection<NeighbourEntry> entries)
    {
        int added = 0;
        foreach (ReadOnlySpan<char> line in text.EnumerateLines())
        {
            if (TryParseLine(line, out NeighbourEntry entry))
            {
                entries.Add(entry);
                added++;
            }
        }

        return added;
    }

    private static bool TryParseLine(ReadOnlySpan<char> line, out NeighbourEntry entry)
    {
        entry = default;
        ReadOnlySpan<char> rest = line;
        ReadOnlySpan<char> ip = NextField(ref rest);
        ReadOnlySpan<char> hwType = NextField(ref rest);
        ReadOnlySpan<char> flags = NextField(ref rest);
        ReadOnlySpan<char> hwAddress = NextField(ref rest);
        ReadOnlySpan<char> mask = NextField(ref rest);
        ReadOnlySpan<char> device = NextField(ref rest);
        if (device.IsEmpty || !NextField(ref rest).IsEmpty || mask.IsEmpty
            || !TryParseHex(hwType, out _) || !TryParseHex(flags, out uint flagBits)
            || (flagBits & CompleteFlag) == 0
            || hwAddress.Length != 17 || !MacAddress.TryParse(hwAddress, out MacAddress mac) || mac.Value == 0
            || !TryParseIPv4(ip, out uint address))
        {
            return false;
        }

        entry = new NeighbourEntry(new ClientAddress(address, true, 0), mac);
        return true;
    }

    /// <summary>The next whitespace-separated field of <paramref name="rest"/>, or empty at the end.</summary>
    private static ReadOnlySpan<char> NextField(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        int end = rest.IndexOfAny(' ', '\t');
        if (end < 0)
        {
            end = rest.Length;
        }

        ReadOnlySpan<char> field = rest[..end];
        rest = rest[end..];
        return field;
    }

    /// <summary><c>0x</c> followed by 1 to 8 hex digits, as the kernel prints HW type and flags.</summary>
    private static bool TryParseHex(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        if (text.Length is < 3 or > 10 || text[0] != '0' || (text[1] | 0x20) != 'x')
        {
            return false;
        }

        foreach (char c in text[2..])
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }

            value = (value << 4) | (uint)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }

        return true;
    }

    /// <summary>Strict dotted quad (four decimal octets 0-255), unlike IPAddress.TryParse which takes "1" or "0x7f.1".</summary>
    private static bool TryParseIPv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        int octets = 0;
        int value = -1;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (value < 0 || ++octets > 3)
                {
                    return false;
                }

                address = (address << 8) | (uint)value;
                value = -1;
            }
            else if (char.IsAsciiDigit(c))
            {
                value = value < 0 ? c - '0' : (value * 10) + (c - '0');
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (value < 0 || octets != 3)
        {
            return false;
        }

        address = (address << 8) | (uint)value;
        return true;
    }
}
