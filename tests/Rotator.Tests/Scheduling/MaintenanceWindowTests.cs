using System.Globalization;
using Rotator.Configuration;
using Rotator.Scheduling;

namespace Rotator.Tests.Scheduling;

public class MaintenanceWindowTests
{
    private const string Berlin = "Europe/Berlin";

    [Theory]
    // Before, inside, at the end (exclusive) of a plain window; 2026-11-23 is a Monday.
    [InlineData("UTC", "Mon", "02:00", "05:00", "2026-11-23T01:00:00Z", "2026-11-23T02:00:00Z")]
    [InlineData("UTC", "Mon", "02:00", "05:00", "2026-11-23T02:00:00Z", "2026-11-23T02:00:00Z")]
    [InlineData("UTC", "Mon", "02:00", "05:00", "2026-11-23T04:59:59Z", "2026-11-23T04:59:59Z")]
    [InlineData("UTC", "Mon", "02:00", "05:00", "2026-11-23T05:00:00Z", "2026-11-30T02:00:00Z")]
    [InlineData("UTC", "Mon,Tue", "02:00", "05:00", "2026-11-23T06:00:00Z", "2026-11-24T02:00:00Z")]
    [InlineData("UTC", "Monday,tue", "02:00", "05:00", "2026-11-24T06:00:00Z", "2026-11-30T02:00:00Z")]
    // An end before the start spans midnight; the part after midnight belongs to the day it opened on (Friday 2026-11-27).
    [InlineData("UTC", "Fri", "22:00", "02:00", "2026-11-27T21:00:00Z", "2026-11-27T22:00:00Z")]
    [InlineData("UTC", "Fri", "22:00", "02:00", "2026-11-28T01:30:00Z", "2026-11-28T01:30:00Z")]
    [InlineData("UTC", "Fri", "22:00", "02:00", "2026-11-28T02:00:00Z", "2026-12-04T22:00:00Z")]
    [InlineData("UTC", "Fri", "22:00", "02:00", "2026-11-27T01:00:00Z", "2026-11-27T22:00:00Z")]
    // An end equal to the start opens for 24 hours.
    [InlineData("UTC", "Sat", "00:00", "00:00", "2026-11-27T12:00:00Z", "2026-11-28T00:00:00Z")]
    [InlineData("UTC", "Sat", "00:00", "00:00", "2026-11-28T23:59:00Z", "2026-11-28T23:59:00Z")]
    // In the schedule's time zone: 02:00 in Berlin is 01:00 UTC in winter.
    [InlineData(Berlin, "Mon", "02:00", "05:00", "2026-11-23T00:00:00Z", "2026-11-23T01:00:00Z")]
    [InlineData(Berlin, "Mon", "02:00", "05:00", "2026-11-23T01:30:00Z", "2026-11-23T01:30:00Z")]
    // Spring forward (2026-03-29, 02:00 CET becomes 03:00 CEST): a start in the gap opens when the clock jumps past it.
    [InlineData(Berlin, "Sun", "02:30", "04:00", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z")]
    [InlineData(Berlin, "Sun", "02:00", "04:00", "2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z")]
    // The week after, the same window opens at its start again (now in summer time).
    [InlineData(Berlin, "Sun", "02:30", "04:00", "2026-03-29T02:00:00Z", "2026-04-05T00:30:00Z")]
    // Fall back (2026-10-25, 03:00 CEST becomes 02:00 CET): a start passed twice opens at the first pass…
    [InlineData(Berlin, "Sun", "02:30", "02:45", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z")]
    // …and, once that pass is over, at the second.
    [InlineData(Berlin, "Sun", "02:30", "02:45", "2026-10-25T00:50:00Z", "2026-10-25T01:30:00Z")]
    // The clock falling back into the window opens it at the moment of the change.
    [InlineData(Berlin, "Sun", "01:30", "02:30", "2026-10-25T00:40:00Z", "2026-10-25T01:00:00Z")]
    // A midnight span across the spring-forward night.
    [InlineData(Berlin, "Sat", "23:00", "03:00", "2026-03-29T01:30:00Z", "2026-04-04T21:00:00Z")]
    [InlineData(Berlin, "Sat", "23:00", "03:00", "2026-03-29T00:30:00Z", "2026-03-29T00:30:00Z")]
    public void NextOpening_ReturnsTheEarliestOpenInstant(string zone, string days, string start, string end, string now, string expected)
    {
        var window = Window(days, start, end);
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);

        var opening = Schedules.NextOpening(window, tz, Instant(now));

        Assert.Equal(Instant(expected), opening);
        Assert.True(Schedules.IsOpen(window, tz, opening));
    }

    [Fact]
    public void NextOpening_NeverSkipsAnEarlierOpenInstant()
    {
        // Minute by minute over a DST week: the opening found is open, and nothing between now and it is.
        var window = Window("Sun", "01:30", "02:30");
        var tz = TimeZoneInfo.FindSystemTimeZoneById(Berlin);
        var now = Instant("2026-10-24T22:00:00Z");

        var opening = Schedules.NextOpening(window, tz, now);

        for (var t = now; t < opening; t = t.AddMinutes(1))
        {
            Assert.False(Schedules.IsOpen(window, tz, t), $"open at {t:O}, before {opening:O}");
        }
    }

    [Fact]
    public void NextDue_IntervalDueOutsideTheWindow_WaitsForItsOpening()
    {
        var schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(7), Window = Window("Mon,Tue", "02:00", "05:00") };
        var last = Instant("2026-11-16T06:00:00Z");

        var due = Schedules.NextDue(schedule, last, last.AddDays(1));

        Assert.Equal(Instant("2026-11-24T02:00:00Z"), due);
        Assert.False(Schedules.IsIntervalDue(schedule, last, Instant("2026-11-23T06:00:00Z")));
        Assert.True(Schedules.IsIntervalDue(schedule, last, Instant("2026-11-24T02:00:00Z")));
    }

    [Fact]
    public void NextDue_CronFiringOutsideTheWindow_MovesToTheOpening()
    {
        var schedule = new ScheduleOptions { Cron = "0 0 12 ? * MON", Window = Window("Tue", "02:00", "05:00") };

        Assert.Equal(Instant("2026-11-24T02:00:00Z"), Schedules.NextDue(schedule, null, Instant("2026-11-23T00:00:00Z")));
    }

    [Theory]
    [InlineData(true, "2026-11-23T12:00:00Z", "2026-11-24T02:00:00Z")]
    [InlineData(true, "2026-11-24T03:00:00Z", null)]
    [InlineData(false, "2026-11-23T12:00:00Z", null)]
    public void NextRun_CronKey_ComesBackAtTheOpeningOnlyWhenItsTriggerFiredOutsideTheWindow(bool fired, string now, string? expected)
    {
        var schedule = new ScheduleOptions { Cron = "0 0 12 ? * MON", Window = Window("Tue", "02:00", "05:00") };

        Assert.Equal(expected is null ? null : Instant(expected), Schedules.NextRun(schedule, null, Instant(now), fired));
    }

    [Fact]
    public void WithoutAWindow_EveryInstantIsOpen()
    {
        var schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(1) };
        var now = Instant("2026-11-23T13:37:00Z");

        Assert.True(Schedules.IsOpen(schedule, now));
        Assert.Equal(now, Schedules.NextOpening(schedule, now));
    }

    [Theory]
    [InlineData("02:00", "05:00", 3)]
    [InlineData("22:00", "02:00", 4)]
    [InlineData("00:00", "00:00", 24)]
    public void Length_CountsAcrossMidnight(string start, string end, int hours) =>
        Assert.Equal(TimeSpan.FromHours(hours), Schedules.Length(Window("Mon", start, end)));

    internal static MaintenanceWindowOptions Window(string days, string start, string end) =>
        new() { Days = [.. days.Split(',')], Start = start, End = end };

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
