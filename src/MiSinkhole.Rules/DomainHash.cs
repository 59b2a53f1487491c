using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace MiSinkhole.Rules;

/// <summary>
/// The 64-bit key of a domain name, defined label by label from the right:
/// H(root) = seed, H(label.parent) = XxHash3(label, seed: H(parent)). One pass over a query
/// name's labels therefore yields the key of every one of its suffixes, without allocating.
/// Labels are hashed lowercased, without their length byte or dots.
/// </summary>
public static class DomainHash
{
    public const ulong RootSeed = 0x9E3779B97F4A7C15;

    public static ulong Extend(ulong parent, ReadOnlySpan<byte> lowerLabel)
    {
        ulong h = XxHash3.HashToUInt64(lowerLabel, unchecked((long)parent));
        return h == 0 ? 1 : h; // 0 marks an empty slot in the compiled table
    }

    /// <summary>Key of a dotted, already lowercased ASCII name ("ads.example.com").</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong OfText(ReadOnlySpan<char> lowerName)
    {
        Span<byte> label = stackalloc byte[64];
        ulong h = RootSeed;
        int end = lowerName.Length;
        while (end > 0)
        {
            int dot = lowerName[..end].LastIndexOf('.');
            ReadOnlySpan<char> text = lowerName[(dot + 1)..end];
            for (int i = 0; i < text.Length; i++)
            {
                label[i] = (byte)text[i];
            }

            h = Extend(h, label[..text.Length]);
            end = dot < 0 ? 0 : dot;
        }

        return h;
    }
}
