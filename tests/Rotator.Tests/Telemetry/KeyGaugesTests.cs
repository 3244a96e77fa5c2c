using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Rotation;
using Rotator.Telemetry;

namespace Rotator.Tests.Telemetry;

public sealed class KeyGaugesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static KeyState State(string key, Phase phase, DateTimeOffset? created = null, IReadOnlyList<ProbeObservation>? observations = null) => new(
        key,
        new ControlRecord { Phase = phase, NewKey = new KeyRef("aaaaaaaaaaaaaaaa", "k2"), OldKey = new KeyRef("bbbbbbbbbbbbbbbb", "k1") },
        created is null ? null : new CurrentVersion("v1", "aaaaaaaaaaaaaaaa", created),
        observations ?? [],
        null,
        null,
        Now);

    [Fact]
    public void Ages_AreSecondsSinceTheCurrentVersionWasCreated_KeysWithoutOneLeftOut()
    {
        var ages = KeyGauges.Ages([State("a", Phase.Completed, Now.AddHours(-2)), State("b", Phase.Idle)], Now).ToList();

        var age = Assert.Single(ages);
        Assert.Equal(7200, age.Value);
        Assert.Equal(new KeyValuePair<string, object?>("key", "a"), age.Tags[0]);
    }

    [Fact]
    public void LastCompleted_IsUnixSecondsOfTheRecord_KeysNeverRotatedLeftOut()
    {
        var done = State("a", Phase.Completed) with { Record = new ControlRecord { Phase = Phase.Completed, LastCompleted = Now.AddDays(-3) } };

        var last = Assert.Single(KeyGauges.LastCompleted([done, State("b", Phase.Idle)]));

        Assert.Equal(Now.AddDays(-3).ToUnixTimeSeconds(), last.Value);
        Assert.Equal(new KeyValuePair<string, object?>("key", "a"), last.Tags[0]);
    }

    [Fact]
    public void MaxAges_ComeFromTheSchedules_KeysWithoutOneLeftOut()
    {
        var options = new RotatorOptions
        {
            Keys =
            [
                new ManagedKeyOptions { Name = "a", Schedule = new ScheduleOptions { MaxAge = TimeSpan.FromDays(90) } },
                new ManagedKeyOptions { Name = "b" },
            ],
        };

        var max = Assert.Single(KeyGauges.MaxAges(options));

        Assert.Equal(TimeSpan.FromDays(90).TotalSeconds, max.Value);
        Assert.Equal("a", max.Tags[0].Value);
    }

    [Theory]
    [InlineData(Phase.RollingOut, 2)]
    [InlineData(Phase.Stalled, 2)]
    [InlineData(Phase.Completed, 0)]
    [InlineData(Phase.Idle, 0)]
    [InlineData(Phase.Revoking, 0)]
    [InlineData(Phase.NeedsAttention, 0)]
    public void NotSwitched_CountsLaggardsOnlyWhileARolloutWaits(Phase phase, long expected)
    {
        ProbeObservation[] seen =
        [
            new("billing", "10.0.0.1", ["aaaaaaaaaaaaaaaa"], null),
            new("billing", "10.0.0.2", ["bbbbbbbbbbbbbbbb"], null),
            new("billing", "10.0.0.3", [], "timed out"),
        ];

        Assert.Equal(expected, KeyGauges.NotSwitched(State("a", phase, observations: seen)));
    }

    [Fact]
    public void Phases_ReportEveryPhaseWithZeros()
    {
        var phases = KeyGauges.Phases([State("a", Phase.Completed), State("b", Phase.Completed), State("c", Phase.Stalled)])
            .ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);

        Assert.Equal(Enum.GetNames<Phase>().Order(), phases.Keys.Order());
        Assert.Equal(2, phases["Completed"]);
        Assert.Equal(1, phases["Stalled"]);
        Assert.Equal(0, phases["NeedsAttention"]);
    }
}
