using Microsoft.Extensions.Time.Testing;
using Rotator.Rotation;
using Rotator.Telemetry;

namespace Rotator.Tests.Telemetry;

public sealed class OutcomesTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static RotationTransition Transition(Phase from, Phase to, RotationEvent cause = RotationEvent.StepSucceeded, RotationTrigger trigger = RotationTrigger.Schedule) =>
        new("billing", from, to, cause, new ControlRecord
        {
            Phase = to,
            RotationId = "r20260301115500-0a1b2c3d",
            Trigger = trigger,
            NewKey = new KeyRef("1111111111111111", "key_2"),
            OldKey = new KeyRef("2222222222222222", "key_1"),
        }, null, At);

    [Theory]
    [InlineData(Phase.Revoking, Phase.Completed, RotationEvent.StepSucceeded, RotationTrigger.Schedule, OutcomeKind.Completed)]
    [InlineData(Phase.RollingOut, Phase.Stalled, RotationEvent.GateTimedOut, RotationTrigger.Schedule, OutcomeKind.Stalled)]
    [InlineData(Phase.Intent, Phase.NeedsAttention, RotationEvent.Unsafe, RotationTrigger.Manual, OutcomeKind.NeedsAttention)]
    [InlineData(Phase.Intent, Phase.NeedsAttention, RotationEvent.AttemptsExhausted, RotationTrigger.Schedule, OutcomeKind.NeedsAttention)]
    [InlineData(Phase.Aborting, Phase.Idle, RotationEvent.StepSucceeded, RotationTrigger.Manual, OutcomeKind.Aborted)]
    [InlineData(Phase.RollingOut, Phase.Intent, RotationEvent.EmergencyRevoke, RotationTrigger.Emergency, OutcomeKind.Emergency)]
    [InlineData(Phase.Completed, Phase.Intent, RotationEvent.Due, RotationTrigger.Emergency, OutcomeKind.Emergency)]
    [InlineData(Phase.Idle, Phase.Intent, RotationEvent.Due, RotationTrigger.Emergency, OutcomeKind.Emergency)]
    public void Classify_NotableTransition_IsItsOutcome(Phase from, Phase to, RotationEvent cause, RotationTrigger trigger, OutcomeKind expected) =>
        Assert.Equal(expected, Outcomes.Classify(Transition(from, to, cause, trigger)));

    [Theory]
    [InlineData(Phase.Idle, Phase.Intent, RotationEvent.Due, RotationTrigger.Schedule)]
    [InlineData(Phase.Intent, Phase.Minted, RotationEvent.StepSucceeded, RotationTrigger.Emergency)]
    [InlineData(Phase.Stored, Phase.RollingOut, RotationEvent.StepSucceeded, RotationTrigger.Manual)]
    [InlineData(Phase.RollingOut, Phase.Revoking, RotationEvent.GateOpened, RotationTrigger.Schedule)]
    [InlineData(Phase.RollingOut, Phase.Aborting, RotationEvent.Abort, RotationTrigger.Manual)]
    [InlineData(Phase.NeedsAttention, Phase.Intent, RotationEvent.OperatorResumed, RotationTrigger.Emergency)]
    public void Classify_IntermediateStep_IsNoOutcome(Phase from, Phase to, RotationEvent cause, RotationTrigger trigger) =>
        Assert.Null(Outcomes.Classify(Transition(from, to, cause, trigger)));

    [Fact]
    public void From_Transition_CarriesTheRecordsFactsAndNoValue()
    {
        var t = Transition(Phase.Revoking, Phase.Completed) with { Record = Transition(Phase.Revoking, Phase.Completed).Record with { Actor = "alice" } };

        var o = Outcomes.From(OutcomeKind.Completed, t);

        Assert.Equal(("billing", "r20260301115500-0a1b2c3d", Phase.Completed, "alice"), (o.Key, o.RotationId, o.Phase, o.Actor));
        Assert.Equal(("1111111111111111", "2222222222222222"), (o.Fingerprint, o.OldFingerprint));
        Assert.Equal(At, o.At);
    }

    [Theory]
    [InlineData(OutcomeKind.Completed, "completed")]
    [InlineData(OutcomeKind.NeedsAttention, "needs_attention")]
    [InlineData(OutcomeKind.Failed, "failed")]
    [InlineData(OutcomeKind.Emergency, "emergency")]
    public void WireName_RoundTripsThroughParse(OutcomeKind kind, string name)
    {
        Assert.Equal(name, kind.WireName());
        Assert.Equal(kind, Outcomes.Parse(name));
        Assert.Equal(kind, Outcomes.Parse(" " + name.ToUpperInvariant()));
    }

    [Fact]
    public void Parse_UnknownName_IsNull() => Assert.Null(Outcomes.Parse("done"));

    [Theory]
    [InlineData("r20260301115500-0a1b2c3d", true)]
    [InlineData("r2026030111-0a", false)]
    [InlineData("x20260301115500-0a1b2c3d", false)]
    [InlineData(null, false)]
    public void StartOf_RotationId_IsTheTimeItCarries(string? id, bool parses) =>
        Assert.Equal(parses ? new DateTimeOffset(2026, 3, 1, 11, 55, 0, TimeSpan.Zero) : null, Outcomes.StartOf(id));

    [Fact]
    public void RotationOutcomes_FailedExecutions_AreAnnouncedOncePerStreak()
    {
        var observer = new RotationObserver();
        var time = new FakeTimeProvider(At);
        var outcomes = new RotationOutcomes(observer, new KeyStates(observer, time), time);
        var seen = new List<RotationOutcome>();
        outcomes.Happened += seen.Add;
        var failed = new ExecutionResult(Phase.Idle, At, RunReason.FollowUp, "InvalidOperationException");
        var fine = new ExecutionResult(Phase.Idle, At, RunReason.Scheduled, Record: new ControlRecord());

        observer.Publish("billing", failed);
        observer.Publish("billing", failed);
        observer.Publish("billing", fine);
        observer.Publish("billing", failed);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, o => Assert.Equal((OutcomeKind.Failed, "billing", "InvalidOperationException"), (o.Kind, o.Key, o.Error)));
    }

    [Fact]
    public void RotationOutcomes_OneEmergency_IsAnnouncedOnceThoughTransitionAndExecutionTellOfIt()
    {
        var observer = new RotationObserver();
        var time = new FakeTimeProvider(At);
        var outcomes = new RotationOutcomes(observer, new KeyStates(observer, time), time);
        var seen = new List<RotationOutcome>();
        outcomes.Happened += seen.Add;
        var t = Transition(Phase.Completed, Phase.Intent, RotationEvent.Due, RotationTrigger.Emergency);
        t = t with { Record = t.Record with { Emergency = Suspect.Old, EmergencySince = At, Actor = "alice" } };
        var executed = new ExecutionResult(Phase.Intent, At, RunReason.FollowUp, Record: t.Record, Request: new OperatorRequest(OperatorAction.Emergency, "alice"));

        observer.Publish(t);
        observer.Publish("billing", executed);
        observer.Publish("billing", executed);

        var emergency = Assert.Single(seen);
        Assert.Equal((OutcomeKind.Emergency, "alice"), (emergency.Kind, emergency.Actor));
    }

    [Fact]
    public void RotationOutcomes_EmergencyDeclaredInFlight_IsAnnouncedFromTheExecution()
    {
        var observer = new RotationObserver();
        var time = new FakeTimeProvider(At);
        var outcomes = new RotationOutcomes(observer, new KeyStates(observer, time), time);
        var seen = new List<RotationOutcome>();
        outcomes.Happened += seen.Add;
        var record = Transition(Phase.Stored, Phase.RollingOut).Record with { Trigger = RotationTrigger.Emergency, Emergency = Suspect.Old, EmergencySince = At, Actor = "bob" };

        observer.Publish("billing", new ExecutionResult(Phase.RollingOut, At, RunReason.FollowUp, Record: record, Request: new OperatorRequest(OperatorAction.Emergency, "bob")));

        Assert.Equal((OutcomeKind.Emergency, Phase.RollingOut, "bob"), (seen.Single().Kind, seen.Single().Phase, seen.Single().Actor));
    }

    [Fact]
    public void StartOf_RotationSeenStarting_IsTheTransitionsTime()
    {
        var observer = new RotationObserver();
        var time = new FakeTimeProvider(At);
        var outcomes = new RotationOutcomes(observer, new KeyStates(observer, time), time);
        var start = Transition(Phase.Completed, Phase.Intent, RotationEvent.Due) with { At = At.AddSeconds(7) };

        observer.Publish(start);

        Assert.Equal(At.AddSeconds(7), outcomes.StartOf("billing", "r20260301115500-0a1b2c3d"));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero), outcomes.StartOf("billing", "r20260301110000-ffffffff"));
    }
}
