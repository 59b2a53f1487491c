using System.Numerics;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Rules;

/// <summary>
/// A policy resolved against the compiled lists: bit masks of its Block, Log and Allow lists,
/// so a decision is three AND operations. Precedence: Allow &gt; Block &gt; Log.
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
        BlockTtl = (uint)Math.Clamp(options.BlockTtl.TotalSeconds, 0, int.MaxValue);
    }

    public string Name { get; }

    public ulong BlockMask { get; }

    public ulong LogMask { get; }

    public ulong AllowMask { get; }

    public BlockResponseMode BlockResponse { get; }

    public uint BlockTtl { get; }

    public PolicyDecision Decide(RuleMatch match)
    {
        ulong lists = match.Lists;
        if (lists == 0)
        {
            return new PolicyDecision(PolicyAction.None, -1);
        }

        if ((lists & AllowMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Allowed, BitOperations.TrailingZeroCount(lists & AllowMask));
        }

        if ((lists & BlockMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Blocked, BitOperations.TrailingZeroCount(lists & BlockMask));
        }

        if ((lists & LogMask) != 0)
        {
            return new PolicyDecision(PolicyAction.Logged, BitOperations.TrailingZeroCount(lists & LogMask));
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
