using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(1, 0.0, 1)]
    [InlineData(1, 0.999, 2)]
    [InlineData(3, 0.0, 4)]
    [InlineData(20, 0.0, 30)]
    [InlineData(20, 0.999, 60)]
    public void Delay_GrowsExponentiallyWithJitterUpToTheCap(int attempt, double unit, int expectedSeconds) =>
        Assert.Equal(expectedSeconds, Backoff.Delay(attempt, Base, Cap, unit).TotalSeconds, precision: 0);

    [Fact]
    public void Delay_IsNeverZero() => Assert.True(Backoff.Delay(1, Base, Cap, 0) > TimeSpan.Zero);
}
