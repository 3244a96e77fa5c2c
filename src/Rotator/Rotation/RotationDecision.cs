namespace Rotator.Rotation;

/// <summary>What the executor does after a transition.</summary>
public enum Then
{
    /// <summary>Nothing until the next due time or an operator.</summary>
    Rest,

    /// <summary>Run the next phase's step now.</summary>
    Continue,

    /// <summary>Run again after the poll interval (a Quartz follow-up trigger).</summary>
    Poll,

    /// <summary>Run again after the slower stalled poll interval.</summary>
    PollStalled,

    /// <summary>Run again after an exponential backoff.</summary>
    Backoff,
}

/// <param name="Next">The phase to record.</param>
/// <param name="Then">What to do next.</param>
/// <param name="CountsAttempt">The failed attempt is added to the count in the control secret.</param>
/// <param name="Alert">Worth an alert (stalled, needs attention).</param>
public readonly record struct Decision(Phase Next, Then Then, bool CountsAttempt = false, bool Alert = false)
{
    public bool Changes(Phase from) => Next != from;
}

/// <summary>
/// The rotation protocol as one pure function. Every (phase, event) pair has an answer, so the tests enumerate
/// them all. Events that make no sense in a phase leave it unchanged: a stale follow-up trigger or a repeated
/// request must never move a rotation.
/// </summary>
public static class RotationDecision
{
    /// <param name="held">For a key in NeedsAttention, the phase it stopped in: where an operator's resume returns.</param>
    public static Decision Decide(Phase phase, RotationEvent @event, Phase? held = null) => (phase, @event) switch
    {
        // A person's word is needed to leave NeedsAttention: resume where it stopped, abort, or an emergency.
        (Phase.NeedsAttention, RotationEvent.OperatorResumed) => new(held is { } h && h != Phase.NeedsAttention ? h : Phase.Idle, Then.Continue),
        (Phase.NeedsAttention, RotationEvent.Abort) => new(Phase.Aborting, Then.Continue),
        (Phase.NeedsAttention, RotationEvent.EmergencyRevoke) => new(Phase.Intent, Then.Continue),
        (Phase.NeedsAttention, _) => new(Phase.NeedsAttention, Then.Rest),

        // An emergency is never refused because a rotation is running: revoke the suspects, then mint.
        (_, RotationEvent.EmergencyRevoke) => new(Phase.Intent, Then.Continue),

        // Abort: before Revoking there is something to undo; from Revoking on, the old key is gone or going.
        (Phase.Intent or Phase.Minted or Phase.Stored or Phase.RollingOut or Phase.Stalled, RotationEvent.Abort) => new(Phase.Aborting, Then.Continue),
        (Phase.Aborting, RotationEvent.StepSucceeded) => new(Phase.Idle, Then.Rest),
        (Phase.Aborting, RotationEvent.GateWaiting) => new(Phase.Aborting, Then.Poll),
        (Phase.Aborting, RotationEvent.GateTimedOut) => new(Phase.Aborting, Then.PollStalled, Alert: true),
        (Phase.Aborting, RotationEvent.ForceComplete) => new(Phase.Aborting, Then.Continue),

        (_, RotationEvent.Unsafe) => new(Phase.NeedsAttention, Then.Rest, Alert: true),
        (_, RotationEvent.AttemptsExhausted) when !phase.IsAtRest() => new(Phase.NeedsAttention, Then.Rest, Alert: true),

        (Phase.Idle or Phase.Completed, RotationEvent.Due) => new(Phase.Intent, Then.Continue),

        // The intent could not be recorded (vault unreachable): retry the same request; nothing happened yet.
        (Phase.Idle or Phase.Completed, RotationEvent.StepFailed) => new(phase, Then.Backoff),
        (Phase.Idle or Phase.Completed, _) => new(phase, Then.Rest),

        (Phase.Intent, RotationEvent.StepSucceeded) => new(Phase.Minted, Then.Continue),

        (Phase.Minted, RotationEvent.StepSucceeded) => new(Phase.Stored, Then.Continue),
        (Phase.Minted, RotationEvent.GateWaiting) => new(Phase.Minted, Then.Poll),
        (Phase.Minted, RotationEvent.KeyLost) => new(Phase.Intent, Then.Continue),

        // Verifiers that never accept the new key break nothing (callers still hold the old one), but a person must look.
        (Phase.Minted, RotationEvent.GateTimedOut) => new(Phase.NeedsAttention, Then.Rest, Alert: true),

        (Phase.Stored, RotationEvent.StepSucceeded) => new(Phase.RollingOut, Then.Continue),

        (Phase.RollingOut, RotationEvent.GateWaiting) => new(Phase.RollingOut, Then.Poll),
        (Phase.RollingOut, RotationEvent.GateOpened) => new(Phase.Revoking, Then.Continue),
        (Phase.RollingOut, RotationEvent.GateTimedOut) => new(Phase.Stalled, Then.PollStalled, Alert: true),
        (Phase.RollingOut or Phase.Stalled, RotationEvent.ForceComplete) => new(Phase.Revoking, Then.Continue),

        // Stalled keeps polling so its status stays true, but only an operator's force revokes.
        (Phase.Stalled, RotationEvent.GateWaiting or RotationEvent.GateOpened or RotationEvent.GateTimedOut) => new(Phase.Stalled, Then.PollStalled),

        (Phase.Revoking, RotationEvent.StepSucceeded) => new(Phase.Completed, Then.Rest),
        (Phase.Revoking, RotationEvent.GateWaiting) => new(Phase.Revoking, Then.Poll),

        // The old key is gone already; verifiers that still accept it are a person's to check.
        (Phase.Revoking, RotationEvent.GateTimedOut) => new(Phase.NeedsAttention, Then.Rest, Alert: true),

        (_, RotationEvent.StepFailed) => new(phase, Then.Backoff, CountsAttempt: true),

        _ => new(phase, Then.Rest),
    };
}
