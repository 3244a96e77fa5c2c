using System.Globalization;

namespace Rotator.Configuration;

/// <summary>
/// The days and time of day in which scheduled rotations may start, in the schedule's time zone, for example
/// <c>{ "Days": ["Mon","Tue"], "Start": "02:00", "End": "05:00" }</c>. An end before the start spans midnight (the window
/// belongs to the day it opens on); an end equal to the start opens for 24 hours. Manual and emergency rotations ignore it.
/// </summary>
public sealed class MaintenanceWindowOptions
{
    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss"];

    /// <summary>Days the window opens on: <c>Mon</c> … <c>Sun</c> or full English names. Strings, so that a misspelling is a validation message.</summary>
    public List<string> Days { get; set; } = [];

    /// <summary>Time of day the window opens, <c>HH:mm</c>.</summary>
    public string? Start { get; set; }

    /// <summary>Time of day the window closes, <c>HH:mm</c>; before <see cref="Start"/> when it spans midnight.</summary>
    public string? End { get; set; }

    /// <summary>The days, or null when one of them is not a day name.</summary>
    public IReadOnlySet<DayOfWeek>? DaysOfWeek
    {
        get
        {
            var days = new HashSet<DayOfWeek>();
            foreach (var text in Days ?? [])
            {
                if (ParseDay(text) is not { } day)
                {
                    return null;
                }

                days.Add(day);
            }

            return days;
        }
    }

    public TimeOnly? StartTime => ParseTime(Start);

    public TimeOnly? EndTime => ParseTime(End);

    /// <summary>A day's full English name or its first three letters, in any case; null for anything else.</summary>
    public static DayOfWeek? ParseDay(string? text)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length < 3)
        {
            return null;
        }

        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            var name = day.ToString();
            if (string.Equals(trimmed, name, StringComparison.OrdinalIgnoreCase)
                || (trimmed.Length == 3 && name.StartsWith(trimmed, StringComparison.OrdinalIgnoreCase)))
            {
                return day;
            }
        }

        return null;
    }

    public static TimeOnly? ParseTime(string? text) =>
        TimeOnly.TryParseExact(text?.Trim(), TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
}
