using System.Diagnostics;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The servers one query may go to — <c>Upstreams:Servers</c>, or one <c>Upstreams:Conditional</c>
/// domain's — each with its own <see cref="UpstreamHealth"/>, and the order the strategy asks them
/// in. <see cref="Pick"/> hands out the next server not yet tried for this query: healthy servers
/// first, by the strategy; servers that are down only after every healthy one was tried, in the
/// configured order (a query never fails only because of bookkeeping). Picking allocates nothing:
/// what was tried is a bit mask.
/// </summary>
public sealed class UpstreamGroup
{
    /// <summary>At most this many servers per group (one bit each in the mask of servers tried).</summary>
    public const int MaxServers = 64;

    public UpstreamGroup(string name, IUpstream[] upstreams, UpstreamStrategy strategy)
    {
        if (upstreams.Length is 0 or > MaxServers)
        {
            throw new ArgumentException($"a group has 1 to {MaxServers} servers", nameof(upstreams));
        }

        Name = name;
        Upstreams = upstreams;
        Strategy = strategy;
        Health = new UpstreamHealth[upstreams.Length];
        for (int i = 0; i < Health.Length; i++)
        {
            Health[i] = new UpstreamHealth();
        }
    }

    /// <summary><c>default</c> for <c>Upstreams:Servers</c>, else the conditional domain; the metrics' <c>group</c> label.</summary>
    public string Name { get; }

    public IUpstream[] Upstreams { get; }

    /// <summary>Parallel to <see cref="Upstreams"/>.</summary>
    public UpstreamHealth[] Health { get; }

    public UpstreamStrategy Strategy { get; }

    /// <summary>
    /// The next server to ask (its index, marked in <paramref name="tried"/>), or -1 when all were.
    /// Failover takes healthy servers in the configured order. LoadBalance and ParallelBest draw the
    /// first (ParallelBest also the second) at random, weighted by 1/score (LoadBalance) or
    /// 1/score² (ParallelBest, which wants the two best and explores a little), then go on by
    /// best score. A group of one, or a query with every healthy server tried, takes the rest in order.
    /// </summary>
    public int Pick(ref ulong tried, int attempt)
    {
        int index = Strategy switch
        {
            UpstreamStrategy.Failover => FirstHealthy(tried),
            UpstreamStrategy.LoadBalance when attempt == 0 => Draw(tried, power: 1),
            UpstreamStrategy.ParallelBest when attempt < 2 => Draw(tried, power: 2),
            _ => Best(tried),
        };
        if (index < 0)
        {
            index = FirstUntried(tried);
        }

        if (index >= 0)
        {
            tried |= 1UL << index;
        }

        return index;
    }

    private int FirstHealthy(ulong tried)
    {
        for (int i = 0; i < Upstreams.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && !Health[i].IsDown)
            {
                return i;
            }
        }

        return -1;
    }

    private int FirstUntried(ulong tried)
    {
        for (int i = 0; i < Upstreams.Length; i++)
        {
            if ((tried & (1UL << i)) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private int Best(ulong tried)
    {
        long now = Stopwatch.GetTimestamp();
        int best = -1;
        double bestScore = double.MaxValue;
        for (int i = 0; i < Upstreams.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && !Health[i].IsDown)
            {
                double score = Health[i].Score(now);
                if (score < bestScore)
                {
                    best = i;
                    bestScore = score;
                }
            }
        }

        return best;
    }

    private int Draw(ulong tried, int power)
    {
        long now = Stopwatch.GetTimestamp();
        double total = 0;
        int last = -1;
        for (int i = 0; i < Upstreams.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && !Health[i].IsDown)
            {
                total += Weight(i, now, power);
                last = i;
            }
        }

        if (last < 0)
        {
            return -1;
        }

        double point = Random.Shared.NextDouble() * total;
        for (int i = 0; i < last; i++)
        {
            if ((tried & (1UL << i)) == 0 && !Health[i].IsDown)
            {
                point -= Weight(i, now, power);
                if (point < 0)
                {
                    return i;
                }
            }
        }

        return last;
    }

    private double Weight(int index, long now, int power)
    {
        double score = Health[index].Score(now);
        return power == 1 ? 1 / score : 1 / (score * score);
    }
}
