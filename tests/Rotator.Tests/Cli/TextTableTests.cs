using Rotator.Cli;

namespace Rotator.Tests.Cli;

public sealed class TextTableTests
{
    [Fact]
    public void Render_PadsEveryColumnButTheLastToItsWidestCell()
    {
        var text = TextTable.Render(["KEY", "PHASE", "ERROR"], [["billing", "Idle", null], ["x", "RollingOut", "a long\nerror"]]);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("KEY      PHASE       ERROR", lines[0]);
        Assert.Equal("billing  Idle        -", lines[1]);
        Assert.Equal("x        RollingOut  a long error", lines[2]);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(42, "42s")]
    [InlineData(190, "3m 10s")]
    [InlineData(3600, "1h")]
    [InlineData(18720, "5h 12m")]
    [InlineData(2592000, "30d")]
    [InlineData(187200, "2d 4h")]
    [InlineData(-90, "-1m 30s")]
    public void Duration_ShowsTheTwoLargestUnits(int seconds, string expected) =>
        Assert.Equal(expected, TextTable.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Duration_Null_IsADash() => Assert.Equal("-", TextTable.Duration(null));

    [Fact]
    public void Time_IsUtcToTheSecond() =>
        Assert.Equal("2026-03-01 10:04:05Z", TextTable.Time(new DateTimeOffset(2026, 3, 1, 12, 4, 5, TimeSpan.FromHours(2))));
}
