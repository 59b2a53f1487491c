using System.IO.Hashing;

namespace MiSinkhole.Core.Stages.Cache;

/// <summary>
/// The cache (and in-flight) key: lowercased name, type, class, DO and CD bits. Never the client
/// address or port. A 64-bit hash selects the entry; the entry keeps the name to rule out collisions.
/// </summary>
public static class CacheKey
{
    public static ulong Compute(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        ulong seed = ((ulong)type << 32) | ((ulong)@class << 16) | (dnssecOk ? 2UL : 0) | (checkingDisabled ? 1UL : 0);
        return XxHash3.HashToUInt64(lowerName, (long)seed);
    }

    public static byte Flags(bool dnssecOk, bool checkingDisabled) => (byte)((dnssecOk ? 2 : 0) | (checkingDisabled ? 1 : 0));
}
