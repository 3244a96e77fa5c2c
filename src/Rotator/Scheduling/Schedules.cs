using Quartz;
using Rotator.Configuration;

namespace Rotator.Scheduling;

/// <summary>When a key is next due, as pure functions of its schedule and the last completed rotation.</summary>
public static class Schedules
{
    public static TimeZoneInfo TimeZone(ScheduleOptions schedule) =>
        string.IsNullOrWhiteSpace(schedule.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);

    /// <summary>The next due time after <paramref name="now"/>, before jitter.</summary>
    public static DateTimeOffset NextDue(ScheduleOptions schedule, DateTimeOffset? lastCompleted, DateTimeOffset now)
    {
        if (schedule.Interval is { } interval)
        {
            // Counted from the last completed rotation; a key never rotated (or overdue) is due now.
            var due = lastCompleted is { } last ? last + interval : now;
            return due < now ? now : due;
        }

        var cron = new CronExpression(schedule.Cron!, TimeZone(schedule));
        return cron.GetNextValidTimeAfter(now) ?? DateTimeOffset.MaxValue;
    }

    /// <summary>Is an interval-scheduled key due now? Cron keys are due only when their trigger fires.</summary>
    public static bool IsIntervalDue(ScheduleOptions schedule, DateTimeOffset? lastCompleted, DateTimeOffset now) =>
        schedule.Interval is { } interval && (lastCompleted is not { } last || last + interval <= now);

    /// <param name="unit">A random number in [0, 1).</param>
    public static TimeSpan Jitter(ScheduleOptions schedule, double unit) => schedule.Jitter * unit;
}
