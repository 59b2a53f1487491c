namespace MiSinkhole.Core.Stages.Forward.Http2;

/// <summary>
/// Decodes HPACK's Huffman-coded strings (RFC 7541 §5.2, the code of Appendix B). The code is
/// canonical: codes of one length are consecutive numbers, shorter lengths first and symbols in
/// order within a length, so it is rebuilt here from its code lengths alone and decoded length
/// by length, without a tree.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;
    private const int MaxBits = 30;

    /// <summary>RFC 7541 Appendix B: the length in bits of the code of each symbol 0–255 and EOS (256).</summary>
    private static ReadOnlySpan<byte> Lengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    // Per code length: the first code, how many codes, and where their symbols start in Symbols.
    private static readonly int[] FirstCode = new int[MaxBits + 1];
    private static readonly int[] Count = new int[MaxBits + 1];
    private static readonly int[] Offset = new int[MaxBits + 1];
    private static readonly short[] Symbols = BuildTables();

    /// <summary>At most this many bytes come out of <paramref name="encodedLength"/> encoded ones (the shortest code is 5 bits).</summary>
    public static int MaxDecodedLength(int encodedLength) => (encodedLength * 8 / 5) + 1;

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxDecodedLength"/> long): the bytes written, or -1 when it is not valid
    /// HPACK Huffman (EOS inside, padding longer than 7 bits or not all ones).
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int written = 0;
        int code = 0;
        int bits = 0;
        bool ones = true;
        foreach (byte octet in source)
        {
            for (int shift = 7; shift >= 0; shift--)
            {
                int bit = (octet >> shift) & 1;
                code = (code << 1) | bit;
                bits++;
                ones &= bit == 1;
                int index = code - FirstCode[bits];
                if (index >= 0 && index < Count[bits])
                {
                    int symbol = Symbols[Offset[bits] + index];
                    if (symbol == Eos)
                    {
                        return -1;
                    }

                    destination[written++] = (byte)symbol;
                    code = 0;
                    bits = 0;
                    ones = true;
                }
                else if (bits == MaxBits)
                {
                    return -1;
                }
            }
        }

        // What is left must be the most significant bits of EOS (all ones), shorter than a byte.
        return bits <= 7 && ones ? written : -1;
    }

    private static short[] BuildTables()
    {
        ReadOnlySpan<byte> lengths = Lengths;
        foreach (byte length in lengths)
        {
            Count[length]++;
        }

        int code = 0;
        int offset = 0;
        for (int bits = 1; bits <= MaxBits; bits++)
        {
            FirstCode[bits] = code;
            Offset[bits] = offset;
            offset += Count[bits];
            code = (code + Count[bits]) << 1;
        }

        var symbols = new short[lengths.Length];
        int[] next = (int[])Offset.Clone();
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            symbols[next[lengths[symbol]]++] = (short)symbol;
        }

        return symbols;
    }
}
