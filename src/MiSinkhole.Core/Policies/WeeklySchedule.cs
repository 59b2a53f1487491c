using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MiSinkhole.Core.Policies;

/// <summary>
/// When a policy applies: a set of weekly windows in the host's local time, such as
/// <c>["Mon-Fri 21:00-07:00", "Sat,Sun 22:30-09:00"]</c>. Each window is
/// <c>&lt;days&gt; &lt;HH:mm&gt;-&lt;HH:mm&gt;</c>; days are <c>Mon Tue Wed Thu Fri Sat Sun</c> (any
/// case), ranges (<c>Mon-Fri</c>, wrapping: <c>Fri-Mon</c>), lists (<c>Sat,Sun</c>, <c>Mon,Wed-Fri</c>)
/// or <c>daily</c>/<c>*</c>. The start is inclusive, the end exclusive; an end at or before the
/// start crosses midnight and the window belongs to the day it starts on (<c>Fri 22:00-02:00</c>
/// covers Saturday 01:00); <c>24:00</c> as an end is midnight at the end of the day.
/// </summary>
/// <remarks>
/// Daylight-saving days: each occurrence of a window is one unbroken stretch of time, from the
/// first moment the local clock reaches its start to the first moment it reaches its end. So a
/// start in the hour the clock skips (02:30 when 02:00 jumps to 03:00) starts the window at the
/// jump (03:00), and a window wholly inside the skipped hour does not occur that day; a start or
/// end in the hour that repeats (autumn) is its first occurrence, and the window does not stop and
/// start again when the hour repeats. Away from clock changes this is exactly "the local
/// wall-clock time lies in a window". Evaluating costs a few time-zone conversions per window:
/// on a hot path, keep the result and evaluate again at <see cref="NextChange(DateTimeOffset, TimeZoneInfo)"/>.
/// </remarks>
public sealed class WeeklySchedule
{
    private const int MinutesPerDay = 1440;
    private const int MinutesPerWeek = 7 * MinutesPerDay;
    private const string Example = "e.g. \"Mon-Fri 21:00-07:00\"";
    private const string DayHelp = "use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such as Mon-Fri, a list such as Sat,Sun, or daily or * for every day";
    private static readonly string[] DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    private readonly ScheduleWindow[] _windows;
    private readonly bool _alwaysActive;

    private WeeklySchedule(ScheduleWindow[] windows, IReadOnlyList<string> texts)
    {
        _windows = windows;
        Windows = texts;
        _alwaysActive = CoversWholeWeek(windows);
    }

    /// <summary>The windows as configured (trimmed).</summary>
    public IReadOnlyList<string> Windows { get; }

    /// <summary>
    /// Parses the windows of one schedule. On failure <paramref name="error"/> names the first bad
    /// window and what is wrong with it.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> windows, [NotNullWhen(true)] out WeeklySchedule? schedule, [NotNullWhen(false)] out string? error)
    {
        schedule = null;
        if (windows is null || windows.Count == 0)
        {
            error = $"a schedule needs at least one window, {Example}";
            return false;
        }

        var parsed = new ScheduleWindow[windows.Count];
        var texts = new string[windows.Count];
        for (int i = 0; i < windows.Count; i++)
        {
            string text = windows[i]?.Trim() ?? string.Empty;
            if (!TryParseWindow(text, out parsed[i], out string? reason))
            {
                error = text.Length == 0 ? $"window {i + 1} is empty; expected days and a time range, {Example}" : $"window \"{text}\": {reason}";
                return false;
            }

            texts[i] = text;
        }

        schedule = new WeeklySchedule(parsed, texts);
        error = null;
        return true;
    }

    /// <summary>Whether the schedule is active at <paramref name="utcNow"/>, in the local time of <paramref name="zone"/>.</summary>
    public bool IsActive(DateTimeOffset utcNow, TimeZoneInfo zone)
    {
        if (_alwaysActive)
        {
            return true;
        }

        DateTime today = TimeZoneInfo.ConvertTime(utcNow, zone).Date;

        // An occurrence that started two days ago has ended (its end is on yesterday's wall clock);
        // tomorrow's can only have started already where the clock goes back across midnight.
        for (int day = -1; day <= 1; day++)
        {
            DateTime date = today.AddDays(day);
            foreach (ScheduleWindow window in _windows)
            {
                if (window.StartsOn(date.DayOfWeek)
                    && FirstInstant(date.AddMinutes(window.StartMinute), zone) <= utcNow
                    && utcNow < FirstInstant(date.AddMinutes(window.EndMinute), zone))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the schedule is active now in <paramref name="time"/>'s local time zone.</summary>
    public bool IsActive(TimeProvider time) => IsActive(time.GetUtcNow(), time.LocalTimeZone);

    /// <summary>
    /// The first instant after <paramref name="utcNow"/> at which <see cref="IsActive(DateTimeOffset, TimeZoneInfo)"/>
    /// gives the other answer; <see cref="DateTimeOffset.MaxValue"/> when it never does (windows
    /// covering the whole week). Windows that touch or overlap count as one stretch.
    /// </summary>
    public DateTimeOffset NextChange(DateTimeOffset utcNow, TimeZoneInfo zone)
    {
        if (_alwaysActive)
        {
            return DateTimeOffset.MaxValue;
        }

        // Some minute of every week is outside all windows, so within two weeks the state changes
        // (one week, unless that week's gap falls in an hour the clock skips).
        DateTime today = TimeZoneInfo.ConvertTime(utcNow, zone).Date;
        var stretches = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (int day = -1; day <= 15; day++)
        {
            DateTime date = today.AddDays(day);
            foreach (ScheduleWindow window in _windows)
            {
                if (window.StartsOn(date.DayOfWeek))
                {
                    DateTimeOffset start = FirstInstant(date.AddMinutes(window.StartMinute), zone);
                    DateTimeOffset end = FirstInstant(date.AddMinutes(window.EndMinute), zone);
                    if (end > start)
                    {
                        stretches.Add((start, end));
                    }
                }
            }
        }

        stretches.Sort((a, b) => a.Start.CompareTo(b.Start));
        int i = 0;
        while (i < stretches.Count)
        {
            (DateTimeOffset start, DateTimeOffset end) = stretches[i++];
            while (i < stretches.Count && stretches[i].Start <= end)
            {
                end = stretches[i].End > end ? stretches[i].End : end;
                i++;
            }

            if (start > utcNow)
            {
                return start;
            }

            if (utcNow < end)
            {
                return end;
            }
        }

        return DateTimeOffset.MaxValue;
    }

    /// <summary>The next change after now, in <paramref name="time"/>'s local time zone.</summary>
    public DateTimeOffset NextChange(TimeProvider time) => NextChange(time.GetUtcNow(), time.LocalTimeZone);

    /// <summary>The windows as configured, separated by "; " (a window may itself contain commas).</summary>
    public override string ToString() => string.Join("; ", Windows);

    /// <summary>
    /// The first instant at which the local clock of <paramref name="zone"/> reads
    /// <paramref name="local"/> or later: for a time the clock skips, the moment it jumps; for a
    /// time it shows twice, the first time.
    /// </summary>
    private static DateTimeOffset FirstInstant(DateTime local, TimeZoneInfo zone)
    {
        if (zone.IsInvalidTime(local))
        {
            // Skipped: the first wall-clock minute after it that exists is the moment of the jump.
            DateTime after = local;
            for (int minutes = 0; minutes < 2 * MinutesPerDay && zone.IsInvalidTime(after); minutes++)
            {
                after = after.AddMinutes(1);
            }

            local = after;
        }

        TimeSpan offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static bool TryParseWindow(string text, out ScheduleWindow window, [NotNullWhen(false)] out string? reason)
    {
        window = default;
        if (text.Length == 0)
        {
            reason = "empty";
            return false;
        }

        // Days come before the first token that starts with a digit; spaces inside either part are
        // allowed ("Sat, Sun 22:30 - 09:00").
        string[] tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int firstTime = Array.FindIndex(tokens, t => char.IsAsciiDigit(t[0]));
        string days = string.Concat(tokens[..(firstTime < 0 ? tokens.Length : firstTime)]);
        string times = firstTime < 0 ? string.Empty : string.Concat(tokens[firstTime..]);
        if (days.Length == 0)
        {
            reason = $"no days before the time range ({DayHelp})";
            return false;
        }

        if (times.Length == 0)
        {
            reason = $"no time range after the days (expected HH:mm-HH:mm, {Example})";
            return false;
        }

        if (!TryParseDays(days, out byte mask, out reason))
        {
            return false;
        }

        string[] ends = times.Split('-');
        if (ends.Length != 2)
        {
            reason = $"bad time range \"{times}\" (expected HH:mm-HH:mm, {Example})";
            return false;
        }

        if (!TryParseTime(ends[0], out int start) || start == MinutesPerDay)
        {
            reason = start == MinutesPerDay
                ? $"bad start time \"{ends[0]}\" (24:00 is only valid as an end; start at 00:00)"
                : $"bad start time \"{ends[0]}\" (expected HH:mm, 00:00 to 23:59)";
            return false;
        }

        if (!TryParseTime(ends[1], out int end))
        {
            reason = $"bad end time \"{ends[1]}\" (expected HH:mm, 00:00 to 24:00)";
            return false;
        }

        if (end <= start)
        {
            end += MinutesPerDay; // crosses midnight (00:00-00:00: the whole day)
        }

        window = new ScheduleWindow(mask, start, end);
        reason = null;
        return true;
    }

    private static bool TryParseDays(string text, out byte mask, [NotNullWhen(false)] out string? reason)
    {
        mask = 0;
        reason = null;
        if (text is "*" || text.Equals("daily", StringComparison.OrdinalIgnoreCase))
        {
            mask = 0x7F;
            return true;
        }

        foreach (string item in text.Split(','))
        {
            if (item.Length == 0)
            {
                reason = $"empty day in \"{text}\" ({DayHelp})";
                return false;
            }

            string[] range = item.Split('-');
            if (range.Length > 2)
            {
                reason = $"bad day range \"{item}\" (a range is two days, such as Mon-Fri)";
                return false;
            }

            int first = DayIndex(range[0]);
            int last = range.Length == 2 ? DayIndex(range[^1]) : first;
            string? unknown = first < 0 ? range[0] : last < 0 ? range[^1] : null;
            if (unknown is not null)
            {
                reason = unknown.Length == 0 ? $"bad day range \"{item}\" (a range is two days, such as Mon-Fri)" : $"unknown day \"{unknown}\" ({DayHelp})";
                return false;
            }

            for (int day = first; ; day = (day + 1) % 7)
            {
                mask |= (byte)(1 << day);
                if (day == last)
                {
                    break;
                }
            }
        }

        return true;
    }

    private static int DayIndex(string name) => Array.FindIndex(DayNames, d => d.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>H:mm</c> or <c>HH:mm</c>, 00:00 to 23:59, or 24:00 (returned as 1440).</summary>
    private static bool TryParseTime(string text, out int minutes)
    {
        minutes = -1;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is < 1 or > 2 || text.Length != colon + 3
            || !int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int hours)
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int mins)
            || mins > 59 || hours > 24 || (hours == 24 && mins != 0))
        {
            return false;
        }

        minutes = (hours * 60) + mins;
        return true;
    }

    /// <summary>Whether every minute of the week lies in some window (then the schedule never changes).</summary>
    private static bool CoversWholeWeek(ScheduleWindow[] windows)
    {
        var covered = new System.Collections.BitArray(MinutesPerWeek);
        foreach (ScheduleWindow window in windows)
        {
            for (int day = 0; day < 7; day++)
            {
                if ((window.Days & (1 << day)) == 0)
                {
                    continue;
                }

                for (int minute = window.StartMinute; minute < window.EndMinute; minute++)
                {
                    covered[((day * MinutesPerDay) + minute) % MinutesPerWeek] = true;
                }
            }
        }

        return covered.HasAllSet();
    }
}
