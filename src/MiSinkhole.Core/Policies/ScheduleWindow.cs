namespace MiSinkhole.Core.Policies;

/// <summary>
/// One parsed window of a <see cref="WeeklySchedule"/>: the days it starts on and its wall-clock
/// span from midnight of such a day. A window that crosses midnight has <see cref="EndMinute"/>
/// beyond 1440 (it belongs to the day it starts on).
/// </summary>
/// <param name="Days">Bit 0 Monday … bit 6 Sunday.</param>
/// <param name="StartMinute">Minutes after midnight, 0 to 1439.</param>
/// <param name="EndMinute">Minutes after the start day's midnight, StartMinute + 1 to StartMinute + 1440.</param>
internal readonly record struct ScheduleWindow(byte Days, int StartMinute, int EndMinute)
{
    /// <summary>Monday = 0 … Sunday = 6.</summary>
    public static int DayIndex(DayOfWeek day) => ((int)day + 6) % 7;

    public bool StartsOn(DayOfWeek day) => (Days & (1 << DayIndex(day))) != 0;
}
