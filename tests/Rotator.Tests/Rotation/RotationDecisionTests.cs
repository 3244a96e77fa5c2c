using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class RotationDecisionTests
{
    public static TheoryData<Phase, RotationEvent> EveryPair()
    {
        var data = new TheoryData<Phase, RotationEvent>();
        foreach (var phase in Enum.GetValues<Phase>())
        {
            foreach (var @event in Enum.GetValues<RotationEvent>())
            {
                data.Add(phase, @event);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_NeverRevokesWithoutGateOrForce(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (decision.Next == Phase.Revoking && phase != Phase.Revoking)
        {
            Assert.True(
                (phase == Phase.RollingOut && @event == RotationEvent.GateOpened) || @event == RotationEvent.ForceComplete,
                $"{phase} + {@event} moved to Revoking without an open gate or an operator's force");
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_LeavesNeedsAttentionOnlyOnAnOperatorsWord(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (phase == Phase.NeedsAttention && @event is not (RotationEvent.OperatorResumed or RotationEvent.Abort or RotationEvent.EmergencyRevoke))
        {
            Assert.Equal(Phase.NeedsAttention, decision.Next);
            Assert.Equal(Then.Rest, decision.Then);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_StalledNeverRevokesOnItsOwn(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (phase == Phase.Stalled && @event != RotationEvent.ForceComplete)
        {
            Assert.NotEqual(Phase.Revoking, decision.Next);
            Assert.NotEqual(Phase.Completed, decision.Next);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_UnsafeAlwaysStopsInNeedsAttention(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (@event == RotationEvent.Unsafe)
        {
            Assert.Equal(Phase.NeedsAttention, decision.Next);
            Assert.Equal(Then.Rest, decision.Then);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_CompletesOnlyAfterRevoking(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (decision.Next == Phase.Completed && phase != Phase.Completed)
        {
            Assert.Equal((Phase.Revoking, RotationEvent.StepSucceeded), (phase, @event));
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_AtRestOnlyDueStartsARotation(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (phase.IsAtRest() && @event is not (RotationEvent.Due or RotationEvent.EmergencyRevoke or RotationEvent.Unsafe))
        {
            Assert.Equal(phase, decision.Next);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_WaitsOnlyWhereAGateIs(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        if (decision.Then is Then.Poll or Then.PollStalled)
        {
            Assert.True(decision.Next.IsGate(), $"{phase} + {@event} polls in {decision.Next}, which has no gate");
        }

        // Continuing in the same phase is a restart on an operator's word: an emergency's fresh rotation, a forced abort.
        if (decision.Then == Then.Continue && @event is not (RotationEvent.EmergencyRevoke or RotationEvent.ForceComplete))
        {
            Assert.NotEqual(phase, decision.Next);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_AnyPair_OnlyFailuresCountAttempts(Phase phase, RotationEvent @event)
    {
        var decision = RotationDecision.Decide(phase, @event);

        Assert.Equal(decision.CountsAttempt, @event == RotationEvent.StepFailed && !phase.IsAtRest() && phase != Phase.NeedsAttention);
    }

    [Theory]
    [InlineData(Phase.Idle, RotationEvent.Due, Phase.Intent, Then.Continue)]
    [InlineData(Phase.Completed, RotationEvent.Due, Phase.Intent, Then.Continue)]
    [InlineData(Phase.Intent, RotationEvent.StepSucceeded, Phase.Minted, Then.Continue)]
    [InlineData(Phase.Minted, RotationEvent.StepSucceeded, Phase.Stored, Then.Continue)]
    [InlineData(Phase.Minted, RotationEvent.KeyLost, Phase.Intent, Then.Continue)]
    [InlineData(Phase.Minted, RotationEvent.GateWaiting, Phase.Minted, Then.Poll)]
    [InlineData(Phase.Stored, RotationEvent.StepSucceeded, Phase.RollingOut, Then.Continue)]
    [InlineData(Phase.RollingOut, RotationEvent.GateWaiting, Phase.RollingOut, Then.Poll)]
    [InlineData(Phase.RollingOut, RotationEvent.GateOpened, Phase.Revoking, Then.Continue)]
    [InlineData(Phase.RollingOut, RotationEvent.GateTimedOut, Phase.Stalled, Then.PollStalled)]
    [InlineData(Phase.Stalled, RotationEvent.GateOpened, Phase.Stalled, Then.PollStalled)]
    [InlineData(Phase.Stalled, RotationEvent.ForceComplete, Phase.Revoking, Then.Continue)]
    [InlineData(Phase.Revoking, RotationEvent.GateWaiting, Phase.Revoking, Then.Poll)]
    [InlineData(Phase.Revoking, RotationEvent.StepSucceeded, Phase.Completed, Then.Rest)]
    [InlineData(Phase.Intent, RotationEvent.StepFailed, Phase.Intent, Then.Backoff)]
    [InlineData(Phase.Idle, RotationEvent.StepFailed, Phase.Idle, Then.Backoff)]
    [InlineData(Phase.Intent, RotationEvent.AttemptsExhausted, Phase.NeedsAttention, Then.Rest)]
    [InlineData(Phase.NeedsAttention, RotationEvent.OperatorResumed, Phase.Idle, Then.Continue)]
    [InlineData(Phase.Minted, RotationEvent.Abort, Phase.Aborting, Then.Continue)]
    [InlineData(Phase.RollingOut, RotationEvent.Abort, Phase.Aborting, Then.Continue)]
    [InlineData(Phase.Revoking, RotationEvent.Abort, Phase.Revoking, Then.Rest)]
    [InlineData(Phase.Completed, RotationEvent.Abort, Phase.Completed, Then.Rest)]
    [InlineData(Phase.Aborting, RotationEvent.GateWaiting, Phase.Aborting, Then.Poll)]
    [InlineData(Phase.Aborting, RotationEvent.StepSucceeded, Phase.Idle, Then.Rest)]
    [InlineData(Phase.RollingOut, RotationEvent.EmergencyRevoke, Phase.Intent, Then.Continue)]
    [InlineData(Phase.Stalled, RotationEvent.EmergencyRevoke, Phase.Intent, Then.Continue)]
    public void Decide_ProtocolPath_FollowsDesign(Phase phase, RotationEvent @event, Phase next, Then then)
    {
        var decision = RotationDecision.Decide(phase, @event);

        Assert.Equal((next, then), (decision.Next, decision.Then));
    }

    [Theory]
    [InlineData(Phase.Minted)]
    [InlineData(Phase.RollingOut)]
    [InlineData(Phase.Revoking)]
    public void Decide_ResumeFromNeedsAttention_ReturnsToThePhaseItStoppedIn(Phase held) =>
        Assert.Equal(held, RotationDecision.Decide(Phase.NeedsAttention, RotationEvent.OperatorResumed, held).Next);

    [Fact]
    public void Decide_StalledOrNeedsAttention_Alerts()
    {
        Assert.True(RotationDecision.Decide(Phase.RollingOut, RotationEvent.GateTimedOut).Alert);
        Assert.True(RotationDecision.Decide(Phase.Minted, RotationEvent.Unsafe).Alert);
        Assert.False(RotationDecision.Decide(Phase.RollingOut, RotationEvent.GateWaiting).Alert);
    }
}
