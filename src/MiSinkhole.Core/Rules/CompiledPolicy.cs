using System.Numerics;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Rules;

/// <summary>
/// A policy resolved against the compiled lists: bit masks of its Block, Log and Allow lists,
/// so a decision is a few AND operations. Precedence: important &gt; Allow and exceptions &gt;
/// Block &gt; Log.
/// </summary>
public sealed class CompiledPolicy
{
    public CompiledPolicy(PolicyOptions options, IReadOnlyList<string> listNames)
    {
        Name = options.Name;
        BlockMask = Mask(options.Block, listNames);
        LogMask = Mask(options.Log, listNames);
        AllowMask = Mask(options.Allow, listNames);
        BlockResponse = options.BlockResponse;
        BlockIPv4 = [.. options.BlockAddresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).SelectMany(a => a.GetAddressBytes())];
        BlockIPv6 = [.. options.BlockAddresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6).SelectMany(a => a.GetAddressBytes())];
        BlockTtl = (uint)Math.Clamp(options.BlockTtl.TotalSeconds, 0, int.MaxValue);
    }

    public string Name { get; }

    public ulong BlockMask { get; }

    public ulong LogMask { get; }

    public ulong AllowMask { get; }

    public BlockResponseMode BlockResponse { get; }

    public uint BlockTtl { get; }

    /// <summary>Custom block addresses in wire form: 4 bytes each.</summary>
    public byte[] BlockIPv4 { get; }

    /// <summary>Custom block addresses in wire form: 16 bytes each.</summary>
    public byte[] BlockIPv6 { get; }

    /// <summary>
    /// The verdict for one name. Precedence: an <c>$important</c> rule of a Block (then Log) list;
    /// then Allow lists and <c>@@</c> exceptions in any of the policy's lists; then Block; then Log.
    /// </summary>
    public PolicyDecision Decide(RuleMatch match)
    {
        if ((match.Lists | match.Exceptions) == 0)
        {
            return new PolicyDecision(PolicyAction.None, -1);
        }

        ulong important = match.Important & match.Lists;
        if ((important & BlockMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(important & BlockMask));
        }

        if ((important & LogMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Logged, BitOperations.TrailingZeroCount(important & LogMask));
        }

        ulong allowed = (match.Lists & AllowMask) | (match.Exceptions & (AllowMask | BlockMask | LogMask));
        if (allowed != 0)
        {
            return new PolicyDecision(PolicyAction.Allowed, BitOperations.TrailingZeroCount(allowed));
        }

        if ((match.Lists & BlockMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(match.Lists & BlockMask));
        }

        if ((match.Lists & LogMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Logged, BitOperations.TrailingZeroCount(match.Lists & LogMask));
        }

        return new PolicyDecision(PolicyAction.None, -1);
    }

    private static ulong Mask(IReadOnlyList<string> names, IReadOnlyList<string> listNames)
    {
        ulong mask = 0;
        for (int i = 0; i < listNames.Count; i++)
        {
            if (names.Contains(listNames[i], StringComparer.OrdinalIgnoreCase))
            {
                mask |= 1UL << i;
            }
        }

        return mask;
    }
}
