using Rotator.Admin;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Rotation;

namespace Rotator.Tests.Admin;

public sealed class KeyStatusMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ManagedKeyOptions Key() => new()
    {
        Name = "billing",
        Secret = "billing-api-key",
        Issuer = new IssuerOptions { Type = "http" },
        Schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(30), MaxAge = TimeSpan.FromDays(45) },
        Consumers = [new ProbeOptions { Url = new Uri("http://billing.svc:8080/rotator/key") }],
        Verifiers = [new ProbeOptions { Url = new Uri("http://api.svc:8080/rotator/accepts") }],
    };

    [Fact]
    public void Map_KeyNeverExecuted_ShowsWhatConfigurationKnows()
    {
        var status = KeyStatusMapper.Map(Key(), null, [], Now);

        Assert.Equal("billing", status.Name);
        Assert.Equal("billing-api-key", status.Secret);
        Assert.Equal("Http", status.Issuer);
        Assert.Equal(Phase.Idle, status.Phase);
        Assert.Null(status.RotationId);
        Assert.Null(status.Trigger);
        Assert.Null(status.CurrentVersion);
        Assert.Null(status.Age);
        Assert.Equal(TimeSpan.FromDays(45), status.MaxAge);
        Assert.Equal(Now, status.NextRotation);
        Assert.Empty(status.Probes);
        Assert.Null(status.ObservedAt);
    }

    [Fact]
    public void Map_RestingKey_AgeFromTheCurrentVersionAndNextRotationFromItsTrigger()
    {
        var record = new ControlRecord { Phase = Phase.Completed, RotationId = "r1", Trigger = RotationTrigger.Manual, Actor = "alice", LastCompleted = Now.AddDays(-3), NewKey = new KeyRef("aaaaaaaaaaaaaaaa", "k1"), OldKey = new KeyRef("bbbbbbbbbbbbbbbb", "k0"), Note = "Rotate by alice" };
        var state = new KeyState("billing", record, new CurrentVersion("v7", "aaaaaaaaaaaaaaaa", Now.AddDays(-3)), [], null, "vault throttled", Now.AddSeconds(-5));
        var due = Now.AddDays(27);

        var status = KeyStatusMapper.Map(Key(), state, [new PlannedRun("billing.next", due)], Now);

        Assert.Equal(Phase.Completed, status.Phase);
        Assert.Equal("r1", status.RotationId);
        Assert.Equal(RotationTrigger.Manual, status.Trigger);
        Assert.Equal("alice", status.Actor);
        Assert.Equal("v7", status.CurrentVersion);
        Assert.Equal("aaaaaaaaaaaaaaaa", status.CurrentFingerprint);
        Assert.Equal(TimeSpan.FromDays(3), status.Age);
        Assert.Equal(due, status.NextRotation);
        Assert.Equal("vault throttled", status.LastError);
        Assert.Equal("Rotate by alice", status.Note);
        Assert.Equal("aaaaaaaaaaaaaaaa", status.NewFingerprint);
        Assert.Equal("bbbbbbbbbbbbbbbb", status.OldFingerprint);
        Assert.Equal(Now.AddSeconds(-5), status.ObservedAt);
    }

    [Fact]
    public void Map_RollingOut_EachConsumerAddressWithItsFingerprintAndWhetherItSwitched()
    {
        var record = new ControlRecord { Phase = Phase.RollingOut, RotationId = "r2", NewKey = new KeyRef("1111111111111111", null), OldKey = new KeyRef("2222222222222222", null) };
        ProbeObservation[] observations =
        [
            new("http://billing.svc:8080/rotator/key", "10.0.0.1", ["1111111111111111"], null),
            new("http://billing.svc:8080/rotator/key", "10.0.0.2", ["2222222222222222"], null),
            new("http://billing.svc:8080/rotator/key", "10.0.0.3", [], "did not answer"),
        ];
        var state = new KeyState("billing", record, null, observations, Now.AddSeconds(30), null, Now);

        var status = KeyStatusMapper.Map(Key(), state, [], Now);

        Assert.Collection(
            status.Probes,
            p => Assert.Equal(("consumer", "10.0.0.1", true), (p.Role, p.Address, p.Switched)),
            p => Assert.Equal(("consumer", "10.0.0.2", false, "2222222222222222"), (p.Role, p.Address, p.Switched, p.Fingerprints.Single())),
            p => Assert.Equal(("consumer", false, "did not answer"), (p.Role, p.Switched, p.Error)));
    }

    [Theory]
    [InlineData(Phase.Minted, new[] { "1111111111111111" }, true)]
    [InlineData(Phase.Minted, new[] { "2222222222222222" }, false)]
    [InlineData(Phase.Revoking, new[] { "1111111111111111" }, true)]
    [InlineData(Phase.Revoking, new[] { "1111111111111111", "2222222222222222" }, false)]
    public void Probes_Verifier_SwitchedMeansWhatTheGateOfThePhaseWaitsFor(Phase phase, string[] accepts, bool switched)
    {
        var record = new ControlRecord { Phase = phase, RotationId = "r3", NewKey = new KeyRef("1111111111111111", null), OldKey = new KeyRef("2222222222222222", null) };

        var probe = Assert.Single(KeyStatusMapper.Probes(Key(), record, [new ProbeObservation("http://api.svc:8080/rotator/accepts", "10.0.1.1", accepts, null)]));

        Assert.Equal("verifier", probe.Role);
        Assert.Equal(switched, probe.Switched);
    }

    [Fact]
    public void Map_AtRest_ShowsNoProbesEvenWithOldObservations()
    {
        var state = new KeyState("billing", new ControlRecord { Phase = Phase.Completed }, null, [new ProbeObservation("t", "a", ["x"], null)], null, null, Now);

        Assert.Empty(KeyStatusMapper.Map(Key(), state, [], Now).Probes);
    }

    [Fact]
    public void NextRotation_InFlight_IgnoresTheGatePollAndUsesTheCronTrigger()
    {
        var cron = Now.AddDays(2);
        var record = new ControlRecord { Phase = Phase.RollingOut };

        var next = KeyStatusMapper.NextRotation(Key(), record, [new PlannedRun("billing.next", Now.AddSeconds(30)), new PlannedRun("billing.schedule", cron)], Now);

        Assert.Equal(cron, next);
    }

    [Fact]
    public void NextRotation_InFlightWithAnInterval_IsUnknownUntilItCompletes() =>
        Assert.Null(KeyStatusMapper.NextRotation(Key(), new ControlRecord { Phase = Phase.RollingOut }, [new PlannedRun("billing.next", Now.AddSeconds(30))], Now));

    [Theory]
    [InlineData(true, Phase.Completed)]
    [InlineData(false, Phase.NeedsAttention)]
    public void NextRotation_PausedOrStopped_None(bool paused, Phase phase) =>
        Assert.Null(KeyStatusMapper.NextRotation(Key(), new ControlRecord { Phase = phase, Paused = paused }, [new PlannedRun("billing.schedule", Now.AddDays(1))], Now));

    [Fact]
    public void NextRotation_NoTrigger_IntervalCountedFromTheLastCompletion() =>
        Assert.Equal(Now.AddDays(20), KeyStatusMapper.NextRotation(Key(), new ControlRecord { Phase = Phase.Completed, LastCompleted = Now.AddDays(-10) }, [], Now));

    [Fact]
    public void NextRotation_ManualRequestTriggers_AreNotTheSchedule() =>
        Assert.Equal(Now.AddDays(20), KeyStatusMapper.NextRotation(Key(), new ControlRecord { Phase = Phase.Completed, LastCompleted = Now.AddDays(-10) }, [new PlannedRun("billing.request.abc", Now)], Now));
}
