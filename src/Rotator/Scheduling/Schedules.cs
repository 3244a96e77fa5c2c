using Quartz;
using Rotator.Configuration;

namespace Rotator.Scheduling;

/// <summary>When a key is next due, as pure functions of its schedule and the last completed rotation.</summary>
public static class Schedules
{
    /// <summary>How far ahead an opening is looked for: every window opens at least weekly, even across a DST change.</summary>
    private const int SearchDays = 15;

    public static TimeZoneInfo TimeZone(ScheduleOptions schedule) =>
        string.IsNullOrWhiteSpace(schedule.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);

    /// <summary>
    /// The <c>exp</c> a version written now gets: the next due time, plus the rollout's timeout and the key's margin, so
    /// that it never expires while it is still meant to be current.
    /// </summary>
    public static DateTimeOffset Expiry(ManagedKeyOptions key, DateTimeOffset now) =>
        NextDue(key.Schedule, now, now) + key.Rollout.Timeout + key.ExpiryMargin;

    /// <summary>The next due time after <paramref name="now"/>, before jitter, moved to the maintenance window's next opening.</summary>
    public static DateTimeOffset NextDue(ScheduleOptions schedule, DateTimeOffset? lastCompleted, DateTimeOffset now)
    {
        if (schedule.Interval is { } interval)
        {
            // Counted from the last completed rotation; a key never rotated (or overdue) is due now.
            var due = lastCompleted is { } last ? last + interval : now;
            return NextOpening(schedule, due < now ? now : due);
        }

        var cron = new CronExpression(schedule.Cron!, TimeZone(schedule));
        return cron.GetNextValidTimeAfter(now) is { } next ? NextOpening(schedule, next) : DateTimeOffset.MaxValue;
    }

    /// <summary>Is an interval-scheduled key due now (and its window open)? Cron keys are due only when their trigger fires.</summary>
    public static bool IsIntervalDue(ScheduleOptions schedule, DateTimeOffset? lastCompleted, DateTimeOffset now) =>
        schedule.Interval is { } interval && (lastCompleted is not { } last || last + interval <= now) && IsOpen(schedule, now);

    /// <summary>
    /// When a key at rest runs again on its own: an interval key at its due time; a cron key never (its trigger fires),
    /// unless its trigger fired outside the window (<paramref name="scheduledRunWaits"/>): then at the window's next opening.
    /// </summary>
    public static DateTimeOffset? NextRun(ScheduleOptions schedule, DateTimeOffset? lastCompleted, DateTimeOffset now, bool scheduledRunWaits) =>
        schedule.Interval is not null ? NextDue(schedule, lastCompleted, now)
        : scheduledRunWaits && !IsOpen(schedule, now) ? NextOpening(schedule, now)
        : null;

    /// <param name="unit">A random number in [0, 1).</param>
    public static TimeSpan Jitter(ScheduleOptions schedule, double unit) => schedule.Jitter * unit;

    /// <summary>May a scheduled rotation start at <paramref name="at"/>? Always, without a window.</summary>
    public static bool IsOpen(ScheduleOptions schedule, DateTimeOffset at) =>
        schedule.Window is not { } window || IsOpen(window, TimeZone(schedule), at);

    /// <summary><paramref name="at"/> itself when the window is open then (or there is none), else its next opening.</summary>
    public static DateTimeOffset NextOpening(ScheduleOptions schedule, DateTimeOffset at) =>
        schedule.Window is not { } window ? at : NextOpening(window, TimeZone(schedule), at);

    /// <summary>Is the window open at <paramref name="at"/>, judged by the wall clock of <paramref name="zone"/>?</summary>
    public static bool IsOpen(MaintenanceWindowOptions window, TimeZoneInfo zone, DateTimeOffset at) => IsOpen(Parse(window), zone, at);

    private static bool IsOpen((IReadOnlySet<DayOfWeek> Days, TimeOnly Start, TimeOnly End) window, TimeZoneInfo zone, DateTimeOffset at)
    {
        var (days, start, end) = window;
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var day = local.DayOfWeek;
        if (start < end)
        {
            return days.Contains(day) && time >= start && time < end;
        }

        // Spans midnight (or a whole day when start equals end): the part after midnight belongs to the day before.
        var yesterday = (DayOfWeek)(((int)day + 6) % 7);
        return (days.Contains(day) && time >= start) || (days.Contains(yesterday) && time < end);
    }

    /// <summary>
    /// The earliest instant at or after <paramref name="now"/> at which the window is open. A start that falls into a
    /// daylight-saving gap opens when the clock jumps past it; a start the clock passes twice opens at the first pass.
    /// </summary>
    public static DateTimeOffset NextOpening(MaintenanceWindowOptions window, TimeZoneInfo zone, DateTimeOffset now)
    {
        // Parsed once: every candidate below is checked against it.
        var parsed = Parse(window);
        if (IsOpen(parsed, zone, now))
        {
            return now;
        }

        var (days, start, _) = parsed;
        DateTimeOffset? best = null;
        void Consider(DateTimeOffset candidate)
        {
            if (candidate > now && (best is null || candidate < best) && IsOpen(parsed, zone, candidate))
            {
                best = candidate;
            }
        }

        var today = TimeZoneInfo.ConvertTime(now, zone).DateTime.Date;
        for (var d = -1; d <= SearchDays; d++)
        {
            var date = today.AddDays(d);
            if (days.Contains(date.DayOfWeek))
            {
                foreach (var instant in Instants(zone, date + start.ToTimeSpan()))
                {
                    Consider(instant);
                }
            }
        }

        // The clock jumping (a gap, or falling back into the window) opens the window at the moment of the change.
        foreach (var change in ClockChanges(zone, now, now.AddDays(SearchDays)))
        {
            Consider(change);
        }

        return best ?? throw new InvalidOperationException("The maintenance window never opens; the validator should have refused it.");
    }

    /// <summary>How long the window stays open each time (24 hours when start equals end), ignoring clock changes.</summary>
    public static TimeSpan Length(MaintenanceWindowOptions window)
    {
        var length = (window.EndTime ?? default) - (window.StartTime ?? default);
        return length <= TimeSpan.Zero ? length + TimeSpan.FromDays(1) : length;
    }

    private static (IReadOnlySet<DayOfWeek> Days, TimeOnly Start, TimeOnly End) Parse(MaintenanceWindowOptions window) =>
        window.DaysOfWeek is { Count: > 0 } days && window.StartTime is { } start && window.EndTime is { } end
            ? (days, start, end)
            : throw new InvalidOperationException("The maintenance window is incomplete; the validator should have refused it.");

    /// <summary>The instants a wall-clock time denotes: none in a gap, two when the clock passes it twice.</summary>
    private static IEnumerable<DateTimeOffset> Instants(TimeZoneInfo zone, DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return [];
        }

        return zone.IsAmbiguousTime(local)
            ? zone.GetAmbiguousTimeOffsets(local).Select(offset => new DateTimeOffset(local, offset))
            : [new DateTimeOffset(local, zone.GetUtcOffset(local))];
    }

    /// <summary>The instants in [from, to) at which the zone's UTC offset changes, to the second.</summary>
    private static IEnumerable<DateTimeOffset> ClockChanges(TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
    {
        if (!zone.SupportsDaylightSavingTime && zone.GetAdjustmentRules().Length == 0)
        {
            yield break;
        }

        var second = TimeSpan.FromSeconds(1);
        var lo = new DateTimeOffset(from.UtcTicks - (from.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        while (lo < to)
        {
            var hi = lo.AddDays(1);
            var before = zone.GetUtcOffset(lo);
            if (zone.GetUtcOffset(hi) != before)
            {
                var (a, b) = (lo, hi);
                while (b - a > second)
                {
                    var mid = a.AddSeconds(Math.Floor((b - a).TotalSeconds / 2));
                    (a, b) = zone.GetUtcOffset(mid) == before ? (mid, b) : (a, mid);
                }

                yield return b;
            }

            lo = hi;
        }
    }
}
