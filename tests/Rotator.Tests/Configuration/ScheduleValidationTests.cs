using Rotator.Configuration;

namespace Rotator.Tests.Configuration;

public class ScheduleValidationTests
{
    private static readonly RotatorOptionsValidator Validator = new(localVaultAllowed: false);

    [Fact]
    public void ValidWindowAndMaxAge_HaveNoProblems()
    {
        var options = ValidOptions.Create();
        options.InternalKey().Schedule.Window = new MaintenanceWindowOptions { Days = ["Mon", "tuesday"], Start = "22:00", End = "02:00" };
        options.InternalKey().Schedule.MaxAge = TimeSpan.FromDays(100);
        options.InternalKey().Schedule.Jitter = TimeSpan.FromHours(1);

        Assert.Empty(Validator.Collect(options));
    }

    [Theory]
    [InlineData("Mon", "02:00", "05:00", null, "00:00:00", null)]
    [InlineData("", "02:00", "05:00", null, "00:00:00", "Window.Days: none")]
    [InlineData("Mon,Funday", "02:00", "05:00", null, "00:00:00", "Window.Days: \"Funday\" is not a day of the week")]
    [InlineData("Mon", "2am", "05:00", null, "00:00:00", "Window.Start: \"2am\" is not a time of day; write it as HH:mm")]
    [InlineData("Mon", "02:00", null, null, "00:00:00", "Window.End: missing")]
    [InlineData("Mon", "02:00", "25:00", null, "00:00:00", "Window.End: \"25:00\" is not a time of day")]
    [InlineData("Mon", "02:00", "03:00", null, "01:00:00", "not longer than Schedule.Jitter")]
    [InlineData("Mon", "02:00", "03:00", "-1.00:00:00", "00:00:00", "MaxAge: \"-1.00:00:00\" must be greater than zero")]
    [InlineData("Mon", "02:00", "03:00", "30.00:00:00", "00:00:00", "MaxAge: \"30.00:00:00\" is shorter than Schedule.Interval \"90.00:00:00\"")]
    public void Window_AndMaxAge_ProblemsNameTheFieldAndTheFix(string days, string? start, string? end, string? maxAge, string jitter, string? expected)
    {
        var options = ValidOptions.Create();
        var schedule = options.InternalKey().Schedule;
        schedule.Window = new MaintenanceWindowOptions { Days = [.. days.Split(',', StringSplitOptions.RemoveEmptyEntries)], Start = start, End = end };
        schedule.MaxAge = maxAge is null ? null : TimeSpan.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture);
        schedule.Jitter = TimeSpan.Parse(jitter, System.Globalization.CultureInfo.InvariantCulture);

        var problems = Validator.Collect(options);

        if (expected is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            var problem = Assert.Single(problems);
            Assert.StartsWith($"{ValidOptions.Internal}.Schedule.", problem, StringComparison.Ordinal);
            Assert.Contains(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MaxAge_WithCron_OnlyNeedsToBePositive()
    {
        var options = ValidOptions.Create();
        options.BillingKey().Schedule.MaxAge = TimeSpan.FromDays(1);

        Assert.Empty(Validator.Collect(options));
    }
}
