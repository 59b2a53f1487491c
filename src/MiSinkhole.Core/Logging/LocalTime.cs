using System.Globalization;

namespace MiSinkhole.Core.Logging;

/// <summary>Instants as a person on this host reads them, in log lines and explanations: local time with its offset.</summary>
public static class LocalTime
{
    public static string Format(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
}
