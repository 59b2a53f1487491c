using System.Globalization;
using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.State;

/// <summary>A pause or resume made on another instance: the same device paused until the same time (its value: the end in Unix milliseconds, 0 to resume).</summary>
public sealed class PauseChangeHandler(BlockingPause pause, TimeProvider time) : ISharedChangeHandler
{
    public const string KindName = "pause";

    public string Kind => KindName;

    public static string Value(DateTimeOffset? until) => (until?.ToUnixTimeMilliseconds() ?? 0).ToString(CultureInfo.InvariantCulture);

    public void Apply(SharedChange change)
    {
        long until = long.TryParse(change.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) ? ms : 0;
        TimeSpan left = until == 0 ? TimeSpan.Zero : DateTimeOffset.FromUnixTimeMilliseconds(until) - time.GetUtcNow();
        if (left < TimeSpan.Zero)
        {
            left = TimeSpan.Zero; // over already: a resume
        }

        if (change.Subject == BlockingPause.Everyone)
        {
            pause.PauseAll(left);
        }
        else
        {
            pause.Pause(change.Subject, left);
        }
    }
}
