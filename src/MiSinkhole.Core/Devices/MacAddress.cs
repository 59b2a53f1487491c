using System.Globalization;

namespace MiSinkhole.Core.Devices;

/// <summary>A 48-bit hardware (MAC) address as a value, in the low bits of <see cref="Value"/>.</summary>
public readonly record struct MacAddress(ulong Value)
{
    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c>, <c>aa-bb-cc-dd-ee-ff</c> or <c>aabb.ccdd.eeff</c> (any case).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        ulong value = 0;
        int digits = 0;
        foreach (char c in text.Trim())
        {
            if (c is ':' or '-' or '.')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || ++digits > 12)
            {
                return false;
            }

            value = (value << 4) | (uint)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }

        if (digits != 12 || !HasValidSeparators(text.Trim()))
        {
            return false;
        }

        mac = new MacAddress(value);
        return true;
    }

    /// <summary>Reads 6 raw bytes (a netlink or packet-socket link-layer address).</summary>
    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        foreach (byte b in bytes[..6])
        {
            value = (value << 8) | b;
        }

        return new MacAddress(value);
    }

    public override string ToString() =>
        string.Create(17, Value, static (span, v) =>
        {
            for (int i = 0; i < 6; i++)
            {
                byte b = (byte)(v >> (40 - (8 * i)));
                b.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
                if (i < 5)
                {
                    span[(i * 3) + 2] = ':';
                }
            }
        });

    /// <summary>Either 6 groups of 2 digits or 3 groups of 4 (Cisco style), with one separator kind.</summary>
    private static bool HasValidSeparators(ReadOnlySpan<char> text)
    {
        if (text.Length == 12)
        {
            return true;
        }

        char separator = text.Length == 17 ? text[2] : text.Length == 14 ? text[4] : '\0';
        int group = text.Length == 17 ? 2 : 4;
        if (separator is not (':' or '-' or '.'))
        {
            return false;
        }

        for (int i = group; i < text.Length; i += group + 1)
        {
            if (text[i] != separator)
            {
                return false;
            }
        }

        return true;
    }
}
