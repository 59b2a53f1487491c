using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>A fake clock that reports each timer created on it, so a test advances time only once the loop waits on it.</summary>
internal sealed class ObservedTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    public Channel<TimeSpan> Created { get; } = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        Created.Writer.TryWrite(dueTime);
        return timer;
    }
}
