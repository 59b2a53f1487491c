using System.Runtime.CompilerServices;

namespace MiSinkhole.Core.Metrics;

/// <summary>
/// A counter that many threads increment without sharing a cache line: one padded slot per
/// processor, summed when read. For per-query counts read only by a metrics scrape.
/// </summary>
public sealed class StripedCounter
{
    private const int Padding = 16; // longs: 128 bytes between slots
    private readonly long[] _slots = new long[Environment.ProcessorCount * Padding];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment()
    {
        int slot = (Thread.GetCurrentProcessorId() % Environment.ProcessorCount) * Padding;
        Interlocked.Increment(ref _slots[slot]);
    }

    public long Value
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _slots.Length; i += Padding)
            {
                sum += Volatile.Read(ref _slots[i]);
            }

            return sum;
        }
    }
}
