using Rotator.Scheduling;

namespace Rotator.Configuration;

/// <summary>The schedule's maintenance window and maximum age.</summary>
internal sealed partial class RotatorOptionsValidator
{
    private const string WindowExample = "{ \"Days\": [\"Mon\",\"Tue\"], \"Start\": \"02:00\", \"End\": \"05:00\" }";

    private static void CheckWindowAndMaxAge(string at, ScheduleOptions schedule, List<string> failures)
    {
        if (schedule.MaxAge is { } maxAge)
        {
            if (maxAge <= TimeSpan.Zero)
            {
                failures.Add($"{at}.MaxAge: {Format(maxAge)} must be greater than zero; use e.g. \"100.00:00:00\", or remove it for no limit.");
            }
            else if (schedule.Interval is { } interval && interval > TimeSpan.Zero && maxAge < interval)
            {
                failures.Add(
                    $"{at}.MaxAge: {Format(maxAge)} is shorter than Schedule.Interval {Format(interval)}, so every key would be over age before its next rotation is due; "
                    + "make MaxAge at least the interval plus the time a rollout takes, or shorten the interval.");
            }
        }

        if (schedule.Window is { } window)
        {
            CheckWindow($"{at}.Window", window, schedule.Jitter, failures);
        }
    }

    private static void CheckWindow(string at, MaintenanceWindowOptions window, TimeSpan jitter, List<string> failures)
    {
        var days = window.Days ?? [];
        if (days.Count == 0)
        {
            failures.Add($"{at}.Days: none; list the days the window opens on, e.g. [\"Mon\",\"Tue\"], or remove the window to allow any time. Whole window: {WindowExample}.");
        }

        foreach (var day in days.Where(d => MaintenanceWindowOptions.ParseDay(d) is null))
        {
            failures.Add($"{at}.Days: \"{day}\" is not a day of the week; use Mon, Tue, Wed, Thu, Fri, Sat, Sun (or the full English names).");
        }

        var start = CheckTime($"{at}.Start", window.Start, "02:00", failures);
        var end = CheckTime($"{at}.End", window.End, "05:00", failures);
        if (start is not null && end is not null && jitter > TimeSpan.Zero && Schedules.Length(window) is var open && jitter >= open)
        {
            failures.Add(
                $"{at}: the window is open for {Format(open)}, not longer than Schedule.Jitter {Format(jitter)}, so jitter could push every rotation past the window's end; "
                + "make the jitter shorter than the window or the window longer.");
        }
    }

    private static TimeOnly? CheckTime(string at, string? text, string example, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            failures.Add($"{at}: missing; set a time of day in the schedule's time zone as HH:mm, e.g. \"{example}\" (an End before the Start spans midnight).");
            return null;
        }

        var time = MaintenanceWindowOptions.ParseTime(text);
        if (time is null)
        {
            failures.Add($"{at}: \"{text}\" is not a time of day; write it as HH:mm (24-hour clock), e.g. \"{example}\".");
        }

        return time;
    }
}
