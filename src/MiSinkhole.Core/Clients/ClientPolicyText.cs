using System.Text;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Clients;

/// <summary>Why a <see cref="ClientPolicy"/> is what it is, in words (explain). Allocates: not for the query path.</summary>
public static class ClientPolicyText
{
    public static string Describe(in ClientPolicy client, TimeProvider time)
    {
        var text = new StringBuilder();
        text.Append(client.Source switch
        {
            PolicySource.Device when client.Device!.Options.Policy is null => $"device '{client.DeviceName}' names no policy: DefaultPolicy '{client.Assigned.Name}'",
            PolicySource.Device => $"device '{client.DeviceName}' has policy '{client.Assigned.Name}'",
            PolicySource.AutoPolicy => $"no configured device, flagged as a probable Xiaomi device: Devices:AutoPolicy '{client.Assigned.Name}'",
            _ => $"no configured device: DefaultPolicy '{client.Assigned.Name}'",
        });

        DateTimeOffset now = time.GetUtcNow();
        TimeZoneInfo zone = time.LocalTimeZone;
        var seen = new HashSet<CompiledPolicy>();
        for (CompiledPolicy? policy = client.Assigned; policy?.Schedule is { } schedule && seen.Add(policy); policy = policy.Otherwise ?? CompiledPolicy.None)
        {
            string until = LocalTime.Format(schedule.NextChange(now, zone), zone);
            if (schedule.IsActive(now, zone))
            {
                text.Append($"; within schedule '{policy.ScheduleName}' until {until}");
                break;
            }

            text.Append($"; outside schedule '{policy.ScheduleName}' until {until}: ")
                .Append(policy.Otherwise is { } otherwise ? $"otherwise '{otherwise.Name}'" : "no Otherwise, so nothing is blocked or logged");
        }

        if (client.PausedUntil is { } paused)
        {
            text.Append($"; blocking paused until {LocalTime.Format(paused, zone)}: what it would block is answered and logged");
        }

        return text.ToString();
    }
}
