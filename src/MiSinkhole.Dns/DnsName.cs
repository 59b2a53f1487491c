using System.Text;

namespace MiSinkhole.Dns;

/// <summary>
/// Domain names in wire form: reading (with RFC 1035 compression, loop-safe), lowercasing
/// and conversion to and from dotted text. Lowercasing is ASCII-only, as DNS
/// case-insensitivity is (RFC 4343).
/// </summary>
public static class DnsName
{
    /// <summary>Most compression jumps one name may take (a name has at most 127 labels).</summary>
    public const int MaxPointerHops = 127;

    /// <summary>
    /// Reads the possibly compressed name at <paramref name="offset"/>, writes it uncompressed and
    /// lowercased into <paramref name="destination"/> (wire form, ending with the root label).
    /// Every pointer must point strictly before the start of the stretch of labels that led to it,
    /// so the jumps strictly decrease and no loop is possible.
    /// </summary>
    /// <param name="next">Offset just after the name in the message (after the first pointer, if any).</param>
    /// <param name="length">Wire length written to <paramref name="destination"/>.</param>
    public static bool TryRead(ReadOnlySpan<byte> message, int offset, Span<byte> destination, out int next, out int length)
    {
        next = -1;
        length = 0;
        int position = offset;
        int segmentStart = offset;
        int hops = 0;
        int limit = message.Length;
        while (true)
        {
            if ((uint)position >= (uint)limit)
            {
                return false;
            }

            byte b = message[position];
            if (b == 0)
            {
                if (length + 1 > DnsConstants.MaxNameLength || length + 1 > destination.Length)
                {
                    return false;
                }

                destination[length++] = 0;
                if (next < 0)
                {
                    next = position + 1;
                }

                return true;
            }

            switch (b & 0xC0)
            {
                case 0x00:
                    int end = position + 1 + b;
                    if (end > limit || length + 1 + b + 1 > DnsConstants.MaxNameLength || length + 1 + b > destination.Length)
                    {
                        return false;
                    }

                    destination[length] = b;
                    ToLower(message.Slice(position + 1, b), destination.Slice(length + 1, b));
                    length += 1 + b;
                    position = end;
                    break;
                case 0xC0:
                    if (position + 1 >= limit)
                    {
                        return false;
                    }

                    int target = ((b & 0x3F) << 8) | message[position + 1];
                    if (next < 0)
                    {
                        next = position + 2;
                    }

                    // Only backwards, and below every earlier jump: guarantees termination. A name
                    // has at most 127 labels, so more jumps than that only serve to burn CPU.
                    if (target >= segmentStart || ++hops > MaxPointerHops)
                    {
                        return false;
                    }

                    position = target;
                    segmentStart = target;
                    break;
                default:
                    // 0x40 and 0x80 label types are obsolete or reserved (RFC 6891 §5).
                    return false;
            }
        }
    }

    /// <summary>Skips a possibly compressed name, validating it as <see cref="TryRead"/> does.</summary>
    public static bool TrySkip(ReadOnlySpan<byte> message, int offset, out int next)
    {
        Span<byte> scratch = stackalloc byte[DnsConstants.MaxNameLength];
        return TryRead(message, offset, scratch, out next, out _);
    }

    /// <summary>ASCII lowercase copy (A-Z only; other bytes unchanged).</summary>
    public static void ToLower(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            byte c = source[i];
            destination[i] = (uint)(c - 'A') <= 'Z' - 'A' ? (byte)(c | 0x20) : c;
        }
    }

    /// <summary>Dotted text of an uncompressed wire name, without the trailing dot ("" for the root).</summary>
    public static string ToText(ReadOnlySpan<byte> wire)
    {
        var sb = new StringBuilder(wire.Length);
        int i = 0;
        while (i < wire.Length && wire[i] != 0)
        {
            int len = wire[i];
            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            foreach (byte c in wire.Slice(i + 1, len))
            {
                if (c is (byte)'.' or (byte)'\\' || c <= 0x20 || c >= 0x7F)
                {
                    sb.Append('\\').Append(c.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    sb.Append((char)c);
                }
            }

            i += 1 + len;
        }

        return sb.ToString();
    }

    /// <summary>
    /// Wire form of a dotted name ("a.example.com", trailing dot optional), lowercased.
    /// Returns false for empty labels, labels over 63 bytes, names over 255 bytes or non-ASCII.
    /// </summary>
    public static bool TryFromText(ReadOnlySpan<char> text, Span<byte> destination, out int length)
    {
        length = 0;
        if (text.EndsWith("."))
        {
            text = text[..^1];
        }

        if (text.IsEmpty)
        {
            if (destination.IsEmpty)
            {
                return false;
            }

            destination[0] = 0;
            length = 1;
            return true;
        }

        int written = 0;
        foreach (Range r in text.Split('.'))
        {
            ReadOnlySpan<char> label = text[r];
            if (label.IsEmpty || label.Length > DnsConstants.MaxLabelLength || written + 1 + label.Length + 1 > Math.Min(destination.Length, DnsConstants.MaxNameLength))
            {
                return false;
            }

            destination[written++] = (byte)label.Length;
            foreach (char c in label)
            {
                if (c > 0x7E || c <= 0x20)
                {
                    return false;
                }

                destination[written++] = (byte)char.ToLowerInvariant(c);
            }
        }

        destination[written++] = 0;
        length = written;
        return true;
    }

    /// <summary>Wire form of a dotted name; throws <see cref="FormatException"/> when invalid.</summary>
    public static byte[] FromText(string text)
    {
        Span<byte> buffer = stackalloc byte[DnsConstants.MaxNameLength];
        if (!TryFromText(text, buffer, out int length))
        {
            throw new FormatException($"'{text}' is not a valid domain name");
        }

        return buffer[..length].ToArray();
    }
}
