using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Tests.Policies;

/// <summary>
/// Weekly schedules in a custom time zone (built here, so no tzdata is needed): UTC+1, summer
/// time UTC+2 from the last Sunday of March 02:00 to the last Sunday of October 03:00. In 2026
/// the clock jumps 02:00 → 03:00 on 29 March (at 01:00 UTC) and goes back 03:00 → 02:00 on 25
/// October (at 01:00 UTC). 23 November 2026 is a Monday.
/// </summary>
[TestClass]
public sealed class WeeklyScheduleTests
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("Test/Central", TimeSpan.FromHours(1), "Test Central", "Test Central", "Test Central Summer",
    [
        TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(new DateTime(2000, 1, 1), new DateTime(2099, 12, 31), TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
    ]);

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>A wall-clock time in <see cref="Zone"/> that occurs once, as an instant.</summary>
    private static DateTimeOffset Local(string text) =>
        new(TimeZoneInfo.ConvertTimeToUtc(DateTime.Parse(text, CultureInfo.InvariantCulture), Zone), TimeSpan.Zero);

    private static WeeklySchedule Parse(string windows)
    {
        Assert.IsTrue(WeeklySchedule.TryParse(windows.Split('|'), out WeeklySchedule? schedule, out string? error), error);
        return schedule;
    }

    [TestMethod]
    public void TheZoneIsWhatTheTestsAssume()
    {
        Assert.IsTrue(Zone.IsInvalidTime(new DateTime(2026, 3, 29, 2, 30, 0)));
        Assert.IsTrue(Zone.IsAmbiguousTime(new DateTime(2026, 10, 25, 2, 30, 0)));
        Assert.AreEqual(Utc("2026-03-29T01:00:00"), Local("2026-03-29 03:00"));
        Assert.AreEqual(Utc("2026-11-23T20:00:00"), Local("2026-11-23 21:00"));
    }

    [TestMethod]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-23 20:59:59", false)]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-23 21:00", true, DisplayName = "start is inclusive")]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-24 06:59:59.999", true)]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-24 07:00", false, DisplayName = "end is exclusive")]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-28 01:00", true, DisplayName = "Friday's night reaches into Saturday")]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-28 21:00", false)]
    [DataRow("Mon-Fri 21:00-07:00", "2026-11-23 03:00", false, DisplayName = "Monday morning belongs to Sunday night")]
    [DataRow("Fri 22:00-02:00", "2026-11-28 01:00", true)]
    [DataRow("Fri 22:00-02:00", "2026-11-28 02:00", false)]
    [DataRow("Fri 22:00-02:00", "2026-11-27 21:59", false)]
    [DataRow("Sun 22:00-06:00", "2026-11-29 22:00", true)]
    [DataRow("Sun 22:00-06:00", "2026-11-30 05:59", true, DisplayName = "Sunday night wraps into Monday")]
    [DataRow("Sun 22:00-06:00", "2026-11-30 06:00", false)]
    [DataRow("Sun 22:00-06:00", "2026-11-23 05:00", true, DisplayName = "from the previous week's Sunday")]
    [DataRow("Fri-Mon 10:00-11:00", "2026-11-28 10:30", true)]
    [DataRow("Fri-Mon 10:00-11:00", "2026-11-29 10:30", true)]
    [DataRow("Fri-Mon 10:00-11:00", "2026-11-30 10:30", true, DisplayName = "wrapping day range Fri-Mon includes Monday")]
    [DataRow("Fri-Mon 10:00-11:00", "2026-11-24 10:30", false)]
    [DataRow("Fri-Mon 10:00-11:00", "2026-11-26 10:30", false)]
    [DataRow("Sat,Sun 22:30-09:00", "2026-11-28 22:29", false)]
    [DataRow("Sat,Sun 22:30-09:00", "2026-11-29 08:59", true)]
    [DataRow("Sat,Sun 22:30-09:00", "2026-11-30 08:59", true)]
    [DataRow("Sat,Sun 22:30-09:00", "2026-11-28 08:00", false)]
    [DataRow("Mon-Fri 21:00-07:00|Sat,Sun 22:30-09:00", "2026-11-28 06:00", true)]
    [DataRow("Mon-Fri 21:00-07:00|Sat,Sun 22:30-09:00", "2026-11-28 08:00", false)]
    [DataRow("Mon-Fri 21:00-07:00|Sat,Sun 22:30-09:00", "2026-11-30 08:59", true)]
    [DataRow("Mon-Fri 21:00-07:00|Sat,Sun 22:30-09:00", "2026-11-30 09:00", false)]
    [DataRow("daily 00:00-24:00", "2026-11-25 13:37", true)]
    [DataRow("* 09:00-17:00", "2026-11-25 16:59", true)]
    [DataRow("* 09:00-17:00", "2026-11-25 17:00", false)]
    [DataRow("Mon 00:00-00:00", "2026-11-23 00:00", true, DisplayName = "00:00-00:00 is the whole day")]
    [DataRow("Mon 00:00-00:00", "2026-11-23 23:59:59", true)]
    [DataRow("Mon 00:00-00:00", "2026-11-24 00:00", false)]
    [DataRow("Wed 08:00-24:00", "2026-11-25 23:59:59", true)]
    [DataRow("Wed 08:00-24:00", "2026-11-26 00:00", false)]
    [DataRow("mon-FRI 21:00-07:00", "2026-11-23 21:00", true, DisplayName = "day names in any case")]
    [DataRow("Sat, Sun 22:30 - 09:00", "2026-11-28 23:00", true, DisplayName = "spaces inside the parts")]
    [DataRow("Mon,Wed-Fri 7:00-8:00", "2026-11-23 07:30", true)]
    [DataRow("Mon,Wed-Fri 7:00-8:00", "2026-11-24 07:30", false)]
    [DataRow("Mon,Wed-Fri 7:00-8:00", "2026-11-27 07:59", true)]
    public void IsActive_InLocalTime(string windows, string local, bool expected)
    {
        Assert.AreEqual(expected, Parse(windows).IsActive(Local(local), Zone));
    }

    [TestMethod]
    [DataRow("", "is empty")]
    [DataRow("   ", "is empty")]
    [DataRow("Mon-Fry 21:00-07:00", "unknown day \"Fry\"")]
    [DataRow("Monday 21:00-07:00", "unknown day \"Monday\"")]
    [DataRow("Mon 25:00-07:00", "bad start time \"25:00\"")]
    [DataRow("Mon 21:60-07:00", "bad start time \"21:60\"")]
    [DataRow("Mon 24:00-02:00", "24:00 is only valid as an end")]
    [DataRow("Mon 21:00-7", "bad end time \"7\"")]
    [DataRow("Mon 21:00-24:30", "bad end time \"24:30\"")]
    [DataRow("Mon 9pm-7am", "bad start time \"9pm\"")]
    [DataRow("Mon 21:00", "bad time range \"21:00\"")]
    [DataRow("Mon 21:00-22:00-23:00", "bad time range")]
    [DataRow("21:00-07:00", "no days")]
    [DataRow("Mon", "no time range")]
    [DataRow("Mon,,Tue 10:00-11:00", "empty day")]
    [DataRow("Mon-Tue-Wed 10:00-11:00", "bad day range \"Mon-Tue-Wed\"")]
    [DataRow("Mon- 10:00-11:00", "bad day range \"Mon-\"")]
    public void TryParse_BadWindow_SaysWhichAndWhy(string window, string reason)
    {
        Assert.IsFalse(WeeklySchedule.TryParse(["Sat 10:00-11:00", window], out WeeklySchedule? schedule, out string? error));

        Assert.IsNull(schedule);
        StringAssert.Contains(error, reason);
        StringAssert.Contains(error, window.Trim().Length == 0 ? "window 2" : $"\"{window}\"");
    }

    [TestMethod]
    public void TryParse_NoWindows_IsAnError()
    {
        Assert.IsFalse(WeeklySchedule.TryParse([], out _, out string? error));
        StringAssert.Contains(error, "at least one window");
    }

    [TestMethod]
    public void FollowsTheTimeProvidersLocalZone()
    {
        var time = new FakeTimeProvider(Utc("2026-11-23T19:59:00"));
        time.SetLocalTimeZone(Zone);
        WeeklySchedule night = Parse("Mon-Fri 21:00-07:00");

        Assert.IsFalse(night.IsActive(time), "20:59 local");
        Assert.AreEqual(Utc("2026-11-23T20:00:00"), night.NextChange(time));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.IsTrue(night.IsActive(time), "21:00 local (20:00 UTC)");
        Assert.AreEqual(Utc("2026-11-24T06:00:00"), night.NextChange(time));
    }

    [TestMethod]
    public void SpringForward_StartInTheSkippedHour_StartsWhenTheClockJumps()
    {
        WeeklySchedule schedule = Parse("Sun 02:30-05:00");

        Assert.IsFalse(schedule.IsActive(Utc("2026-03-29T00:59:59"), Zone), "01:59:59 CET");
        Assert.IsTrue(schedule.IsActive(Utc("2026-03-29T01:00:00"), Zone), "03:00 CEST: the clock jumped past 02:30");
        Assert.IsTrue(schedule.IsActive(Utc("2026-03-29T02:59:59"), Zone), "04:59:59 CEST");
        Assert.IsFalse(schedule.IsActive(Utc("2026-03-29T03:00:00"), Zone), "05:00 CEST");
        Assert.AreEqual(Utc("2026-03-29T01:00:00"), schedule.NextChange(Utc("2026-03-28T12:00:00"), Zone));
        Assert.AreEqual(Utc("2026-03-29T03:00:00"), schedule.NextChange(Utc("2026-03-29T01:00:00"), Zone));
    }

    [TestMethod]
    public void SpringForward_WindowInsideTheSkippedHour_DoesNotOccurThatDay()
    {
        WeeklySchedule schedule = Parse("Sun 02:10-02:50");

        Assert.IsFalse(schedule.IsActive(Utc("2026-03-29T01:00:00"), Zone));
        Assert.IsTrue(schedule.IsActive(Utc("2026-03-22T01:10:00"), Zone), "a week earlier it did (02:10 CET)");
        Assert.AreEqual(Utc("2026-04-05T00:10:00"), schedule.NextChange(Utc("2026-03-28T12:00:00"), Zone), "next: a week later, 02:10 CEST");
    }

    [TestMethod]
    public void SpringForward_EndInTheSkippedHour_EndsWhenTheClockJumps()
    {
        WeeklySchedule schedule = Parse("Sat 23:00-02:30");

        Assert.IsTrue(schedule.IsActive(Utc("2026-03-29T00:59:59"), Zone), "01:59:59 CET");
        Assert.IsFalse(schedule.IsActive(Utc("2026-03-29T01:00:00"), Zone), "03:00 CEST");
        Assert.AreEqual(Utc("2026-03-29T01:00:00"), schedule.NextChange(Utc("2026-03-28T22:00:00"), Zone));
    }

    [TestMethod]
    public void FallBack_EndInTheRepeatedHour_EndsTheFirstTime_AndDoesNotComeBack()
    {
        WeeklySchedule schedule = Parse("Sat 22:00-02:30");

        Assert.IsTrue(schedule.IsActive(Utc("2026-10-24T20:00:00"), Zone), "Saturday 22:00 CEST");
        Assert.IsTrue(schedule.IsActive(Utc("2026-10-25T00:29:59"), Zone), "02:29:59 CEST, the first time");
        Assert.IsFalse(schedule.IsActive(Utc("2026-10-25T00:30:00"), Zone), "02:30 CEST, the first time");
        Assert.IsFalse(schedule.IsActive(Utc("2026-10-25T01:15:00"), Zone), "02:15 CET, the second time: the window is over");
        Assert.AreEqual(Utc("2026-10-25T00:30:00"), schedule.NextChange(Utc("2026-10-24T21:00:00"), Zone));
        Assert.AreEqual(Utc("2026-10-31T21:00:00"), schedule.NextChange(Utc("2026-10-25T00:30:00"), Zone), "next Saturday 22:00 CET");
    }

    [TestMethod]
    public void FallBack_StartInTheRepeatedHour_StartsTheFirstTime_AndRunsThrough()
    {
        WeeklySchedule schedule = Parse("Sun 02:30-04:00");

        Assert.IsFalse(schedule.IsActive(Utc("2026-10-25T00:29:59"), Zone));
        Assert.IsTrue(schedule.IsActive(Utc("2026-10-25T00:30:00"), Zone), "02:30 CEST");
        Assert.IsTrue(schedule.IsActive(Utc("2026-10-25T01:15:00"), Zone), "02:15 CET: the clock went back, the window goes on");
        Assert.IsTrue(schedule.IsActive(Utc("2026-10-25T02:59:59"), Zone), "03:59:59 CET");
        Assert.IsFalse(schedule.IsActive(Utc("2026-10-25T03:00:00"), Zone), "04:00 CET");
        Assert.AreEqual(Utc("2026-10-25T03:00:00"), schedule.NextChange(Utc("2026-10-25T00:30:00"), Zone));
    }

    [TestMethod]
    [DataRow("daily 00:00-24:00")]
    [DataRow("Mon-Sun 00:00-00:00")]
    [DataRow("Fri-Thu 06:00-06:00")]
    [DataRow("Mon-Wed 00:00-24:00|Thu-Sun 00:00-24:00")]
    public void WholeWeek_IsAlwaysActive_AndNeverChanges(string windows)
    {
        WeeklySchedule schedule = Parse(windows);

        foreach (string instant in new[] { "2026-03-29T01:00:00", "2026-10-25T01:30:00", "2026-11-23T12:00:00" })
        {
            Assert.IsTrue(schedule.IsActive(Utc(instant), Zone), instant);
            Assert.AreEqual(DateTimeOffset.MaxValue, schedule.NextChange(Utc(instant), Zone), instant);
        }
    }

    [TestMethod]
    public void NextChange_SkipsWhereWindowsTouch()
    {
        WeeklySchedule schedule = Parse("Mon 00:00-24:00|Tue 00:00-12:00|Tue 11:00-13:00");

        Assert.AreEqual(Local("2026-11-24 13:00"), schedule.NextChange(Local("2026-11-23 10:00"), Zone));
        Assert.AreEqual(Local("2026-11-30 00:00"), schedule.NextChange(Local("2026-11-24 13:00"), Zone));
    }

    /// <summary>
    /// Minute by minute across both clock changes: the state changes exactly at each
    /// <see cref="WeeklySchedule.NextChange(DateTimeOffset, TimeZoneInfo)"/> and nowhere else.
    /// </summary>
    [TestMethod]
    [DataRow("Mon-Fri 21:00-07:00|Sat,Sun 22:30-09:00")]
    [DataRow("Sun 02:30-05:00")]
    [DataRow("Sat 22:00-02:30|Sun 02:10-02:50")]
    [DataRow("daily 02:15-02:45")]
    [DataRow("Sun 00:00-24:00|Mon 00:00-12:00|Sat 23:00-01:00")]
    public void NextChange_IsExactlyWhereIsActiveChanges(string windows)
    {
        WeeklySchedule schedule = Parse(windows);
        int changes = 0;
        foreach (string from in new[] { "2026-03-24T00:00:00", "2026-10-20T00:00:00" })
        {
            DateTimeOffset t = Utc(from);
            bool state = schedule.IsActive(t, Zone);
            DateTimeOffset next = schedule.NextChange(t, Zone);
            for (int minute = 1; minute <= 10 * 24 * 60; minute++)
            {
                t = t.AddMinutes(1);
                bool now = schedule.IsActive(t, Zone);
                Assert.IsLessThanOrEqualTo(next, t, "a change was skipped");
                if (t < next)
                {
                    Assert.AreEqual(state, now, $"changed at {t:u} before NextChange {next:u}");
                    continue;
                }

                Assert.AreNotEqual(state, now, $"no change at NextChange {next:u}");
                Assert.AreEqual(now, !schedule.IsActive(t.AddTicks(-1), Zone), $"{t:u} is the first instant of the new state");
                state = now;
                next = schedule.NextChange(t, Zone);
                Assert.IsGreaterThan(t, next);
                changes++;
            }
        }

        Assert.IsGreaterThanOrEqualTo(4, changes, "the sweeps cross at least two windows each");
    }
}
