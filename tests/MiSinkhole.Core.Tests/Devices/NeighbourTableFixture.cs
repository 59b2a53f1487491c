using System.Threading.Channels;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>
/// A <see cref="NeighbourTable"/> over a fake clock and a source the test feeds; each source call
/// records the fake time it ran at.
/// </summary>
internal sealed class NeighbourTableFixture : IAsyncDisposable
{
    private readonly Channel<DateTimeOffset> _calls = Channel.CreateUnbounded<DateTimeOffset>();

    public NeighbourTableFixture()
    {
        Table = new NeighbourTable(Time, Log, Read);
    }

    public ObservedTimeProvider Time { get; } = new(NeighbourTableTests.Start);

    public FakeLogger<NeighbourTable> Log { get; } = new();

    public NeighbourTable Table { get; }

    public volatile IReadOnlyList<NeighbourEntry> Entries = [NeighbourTableTests.Phone];

    public volatile Exception? Failure;

    /// <summary>Waits for the next source call and returns the fake time it ran at.</summary>
    public async Task<DateTimeOffset> NextCallAsync() =>
        await _calls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Waits until the table creates its next timer; returns the timer's due time.</summary>
    public async Task<TimeSpan> NextTimerAsync() =>
        await Time.Created.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Waits until the loop starts waiting out the rate limit; returns how long it waits.</summary>
    public async Task<TimeSpan> RateLimitWaitAsync()
    {
        while (true)
        {
            TimeSpan due = await Time.Created.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (due != NeighbourTable.DefaultRefreshInterval)
            {
                return due;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Table.StopAsync(CancellationToken.None);
        Table.Dispose();
    }

    private IReadOnlyList<NeighbourEntry> Read()
    {
        _calls.Writer.TryWrite(Time.GetUtcNow());
        return Failure is Exception failure ? throw failure : Entries;
    }
}
