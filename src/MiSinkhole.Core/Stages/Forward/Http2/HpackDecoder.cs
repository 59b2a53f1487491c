using System.Text;

namespace MiSinkhole.Core.Stages.Forward.Http2;

/// <summary>
/// The HPACK decoder of one HTTP/2 connection (RFC 7541): its dynamic table, kept in step with
/// the server's encoder by decoding every header block in order (also those of streams nobody
/// waits for any more), and what a DoH answer needs picked out of each block (status, content
/// type, content length). Everything else is decoded and dropped.
/// </summary>
internal sealed class HpackDecoder
{
    /// <summary>The dynamic table size we allow (SETTINGS_HEADER_TABLE_SIZE; the protocol's default).</summary>
    public const int TableSize = 4096;

    private const int EntryOverhead = 32;

    // The dynamic table as a ring: _newest holds index 62, the next older ones follow it.
    private readonly (byte[] Name, byte[] Value)[] _ring = new (byte[], byte[])[TableSize / EntryOverhead];
    private int _newest;
    private int _count;
    private int _size;
    private int _maxSize = TableSize;
    private byte[] _nameScratch = new byte[256];
    private byte[] _valueScratch = new byte[256];

    /// <summary>Entries in the dynamic table now (for tests).</summary>
    public int DynamicCount => _count;

    /// <summary>Decodes one whole header block; false on a compression error (the connection must end).</summary>
    public bool TryDecode(ReadOnlySpan<byte> block, out Http2ResponseHead head)
    {
        head = new Http2ResponseHead { ContentLength = -1 };
        int position = 0;
        bool fieldSeen = false;
        while (position < block.Length)
        {
            byte first = block[position];
            if ((first & 0x80) != 0)
            {
                // Indexed header field (§6.1).
                if (!TryInteger(block, ref position, 7, out int index) || !TryEntry(index, out byte[] name, out byte[] value))
                {
                    return false;
                }

                Pick(name, value, ref head);
                fieldSeen = true;
            }
            else if ((first & 0xE0) == 0x20)
            {
                // Dynamic table size update (§6.3): only before the first field of a block.
                if (fieldSeen || !TryInteger(block, ref position, 5, out int size) || size > TableSize)
                {
                    return false;
                }

                _maxSize = size;
                Evict(0);
            }
            else
            {
                // Literal (§6.2): with incremental indexing (01), without (0000) or never indexed (0001).
                bool index = (first & 0xC0) == 0x40;
                int prefix = index ? 6 : 4;
                if (!TryInteger(block, ref position, prefix, out int nameIndex))
                {
                    return false;
                }

                ReadOnlySpan<byte> name;
                byte[]? indexed = null;
                if (nameIndex > 0)
                {
                    if (!TryEntry(nameIndex, out indexed, out _))
                    {
                        return false;
                    }

                    name = indexed;
                }
                else if (!TryString(block, ref position, ref _nameScratch, out name))
                {
                    return false;
                }

                if (!TryString(block, ref position, ref _valueScratch, out ReadOnlySpan<byte> value))
                {
                    return false;
                }

                Pick(name, value, ref head);
                if (index)
                {
                    Add(indexed ?? name.ToArray(), value);
                }

                fieldSeen = true;
            }
        }

        return true;
    }

    private static void Pick(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ref Http2ResponseHead head)
    {
        if (name.SequenceEqual(":status"u8))
        {
            head.Status = value.Length == 3 && char.IsAsciiDigit((char)value[0]) && char.IsAsciiDigit((char)value[1]) && char.IsAsciiDigit((char)value[2])
                ? ((value[0] - '0') * 100) + ((value[1] - '0') * 10) + (value[2] - '0')
                : -1;
        }
        else if (name.SequenceEqual("content-type"u8))
        {
            ReadOnlySpan<byte> type = "application/dns-message"u8;
            head.IsDnsMessage = value.Length >= type.Length && Ascii.EqualsIgnoreCase(value[..type.Length], type)
                && (value.Length == type.Length || value[type.Length] is (byte)';' or (byte)' ');
        }
        else if (name.SequenceEqual("content-length"u8))
        {
            long length = value.IsEmpty || value.Length > 12 ? -1 : 0;
            foreach (byte digit in value)
            {
                if (!char.IsAsciiDigit((char)digit))
                {
                    length = -1;
                    break;
                }

                length = (length * 10) + (digit - '0');
            }

            head.ContentLength = length;
        }
    }

    /// <summary>An HPACK integer with an N-bit prefix (§5.1), at most 2^28.</summary>
    private static bool TryInteger(ReadOnlySpan<byte> block, scoped ref int position, int prefixBits, out int value)
    {
        int mask = (1 << prefixBits) - 1;
        value = block[position++] & mask;
        if (value < mask)
        {
            return true;
        }

        for (int shift = 0; shift <= 21; shift += 7)
        {
            if (position >= block.Length)
            {
                return false;
            }

            byte next = block[position++];
            value += (next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return true;
            }
        }

        return false; // longer than any length a header block here can hold
    }

    /// <summary>A string literal (§5.2), Huffman-decoded into <paramref name="scratch"/> when it is coded.</summary>
    private static bool TryString(ReadOnlySpan<byte> block, scoped ref int position, scoped ref byte[] scratch, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (position >= block.Length)
        {
            return false;
        }

        bool huffman = (block[position] & 0x80) != 0;
        if (!TryInteger(block, ref position, 7, out int length) || length > block.Length - position)
        {
            return false;
        }

        ReadOnlySpan<byte> raw = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            text = raw;
            return true;
        }

        int room = HpackHuffman.MaxDecodedLength(length);
        if (scratch.Length < room)
        {
            scratch = new byte[Math.Max(room, scratch.Length * 2)];
        }

        int written = HpackHuffman.Decode(raw, scratch);
        if (written < 0)
        {
            return false;
        }

        text = scratch.AsSpan(0, written);
        return true;
    }

    private bool TryEntry(int index, out byte[] name, out byte[] value)
    {
        if (index is >= 1 and <= HpackStaticTable.Count)
        {
            (name, value) = HpackStaticTable.Get(index);
            return true;
        }

        int dynamic = index - HpackStaticTable.Count - 1;
        if (index > HpackStaticTable.Count && dynamic < _count)
        {
            (name, value) = _ring[(_newest + dynamic) % _ring.Length];
            return true;
        }

        (name, value) = ([], []);
        return false; // index 0, or past the table: a compression error
    }

    /// <summary>Adds an entry (§4.4); <paramref name="name"/> is kept as it is (a table's own array, or a copy).</summary>
    private void Add(byte[] name, ReadOnlySpan<byte> value)
    {
        int size = name.Length + value.Length + EntryOverhead;
        if (size > _maxSize)
        {
            Evict(_maxSize + 1); // an entry larger than the table empties it
            return;
        }

        Evict(size);
        _newest = (_newest + _ring.Length - 1) % _ring.Length;
        _ring[_newest] = (name, value.ToArray());
        _count++;
        _size += size;
    }

    /// <summary>Drops the oldest entries until <paramref name="room"/> more bytes fit.</summary>
    private void Evict(int room)
    {
        while (_count > 0 && _size + room > _maxSize)
        {
            int oldest = (_newest + _count - 1) % _ring.Length;
            (byte[] name, byte[] value) = _ring[oldest];
            _ring[oldest] = default;
            _count--;
            _size -= name.Length + value.Length + EntryOverhead;
        }
    }
}
