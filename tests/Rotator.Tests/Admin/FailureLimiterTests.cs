using Microsoft.Extensions.Time.Testing;
using Rotator.Admin;

namespace Rotator.Tests.Admin;

public sealed class FailureLimiterTests
{
    [Fact]
    public void RecordFailure_TenTimesInAWindow_TheAddressIsRefusedUntilTheWindowEnds()
    {
        var time = new FakeTimeProvider();
        using var limiter = new FailureLimiter(time);
        for (var i = 1; i < FailureLimiter.DefaultPermitLimit; i++)
        {
            Assert.False(limiter.RecordFailure("10.0.0.1"));
            Assert.False(limiter.IsLimited("10.0.0.1", out _));
        }

        Assert.True(limiter.RecordFailure("10.0.0.1"));
        time.Advance(TimeSpan.FromSeconds(20));

        Assert.True(limiter.IsLimited("10.0.0.1", out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(40), retryAfter);

        time.Advance(TimeSpan.FromSeconds(40));
        Assert.False(limiter.IsLimited("10.0.0.1", out _));
        Assert.False(limiter.RecordFailure("10.0.0.1"));
    }

    [Fact]
    public void RecordFailure_OneAddressLimited_OthersAreNot()
    {
        using var limiter = new FailureLimiter(new FakeTimeProvider(), permitLimit: 2);
        limiter.RecordFailure("10.0.0.1");
        limiter.RecordFailure("10.0.0.1");

        Assert.True(limiter.IsLimited("10.0.0.1", out _));
        Assert.False(limiter.IsLimited("10.0.0.2", out _));
    }

    [Fact]
    public void IsLimited_AddressNeverFailed_NotLimited() =>
        Assert.False(new FailureLimiter(new FakeTimeProvider()).IsLimited("::1", out _));

    [Fact]
    public void RecordFailure_FailuresSpreadOverWindows_NeverLimited()
    {
        var time = new FakeTimeProvider();
        using var limiter = new FailureLimiter(time, permitLimit: 3);
        for (var i = 0; i < 10; i++)
        {
            limiter.RecordFailure("10.0.0.1");
            limiter.RecordFailure("10.0.0.1");
            Assert.False(limiter.IsLimited("10.0.0.1", out _));
            time.Advance(TimeSpan.FromMinutes(1));
        }
    }
}
