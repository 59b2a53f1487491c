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
    public void Increment() => Add(1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long value)
    {
        int slot = (Thread.GetCurrentProcessorId() % Environment.ProcessorCount) * Padding;
        Interlocked.Add(ref _slots[slot], value);
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
