namespace Rotator.Rotation;

/// <summary>Where a managed key's rotation stands; recorded in the control secret's tags.</summary>
public enum Phase
{
    /// <summary>No rotation has run yet, or the last one ended without completing (aborted).</summary>
    Idle,

    /// <summary>A rotation id is recorded; nothing minted yet (or "maybe minted", resolved by label).</summary>
    Intent,

    /// <summary>The new key exists at the issuer (or is staged in the control secret); not yet in the vault.</summary>
    Minted,

    /// <summary>The new key is the latest version of the managed secret.</summary>
    Stored,

    /// <summary>Waiting for every consumer to report the new key.</summary>
    RollingOut,

    /// <summary>The gate opened: the old key is being revoked.</summary>
    Revoking,

    /// <summary>The old key is revoked; the key waits for its next due time.</summary>
    Completed,

    /// <summary>The rollout gate timed out: alert, keep polling slower, never revoke on its own.</summary>
    Stalled,

    /// <summary>An operator's abort is being carried out.</summary>
    Aborting,

    /// <summary>Rotator cannot tell what is safe: it changes nothing until a person has checked.</summary>
    NeedsAttention,
}

/// <summary>What happened when the executor ran the step of the current phase, or what was asked of it.</summary>
public enum RotationEvent
{
    /// <summary>A rotation is due (schedule, manual request, or bootstrap).</summary>
    Due,

    /// <summary>The current phase's step is done.</summary>
    StepSucceeded,

    /// <summary>A gate has not opened yet.</summary>
    GateWaiting,

    /// <summary>A gate opened on positive evidence.</summary>
    GateOpened,

    /// <summary>A gate did not open within the rollout timeout.</summary>
    GateTimedOut,

    /// <summary>The step failed in a way worth retrying (throttled, unavailable, maybe minted).</summary>
    StepFailed,

    /// <summary>The step failed more often than allowed.</summary>
    AttemptsExhausted,

    /// <summary>A minted key's value was lost before it was stored: it was revoked, mint again.</summary>
    KeyLost,

    /// <summary>The evidence disagrees or the failure is permanent: a person must look.</summary>
    Unsafe,

    /// <summary>An operator forces completion although some consumers have not switched.</summary>
    ForceComplete,

    /// <summary>An operator has checked a key in NeedsAttention and resumes it.</summary>
    OperatorResumed,

    /// <summary>An operator aborts the rotation in flight.</summary>
    Abort,

    /// <summary>An emergency revokes suspected keys first and mints again.</summary>
    EmergencyRevoke,
}

public static class PhaseFacts
{
    /// <summary>Phases in which no rotation is in flight: a due time starts a new one.</summary>
    public static bool IsAtRest(this Phase phase) => phase is Phase.Idle or Phase.Completed;

    /// <summary>Phases whose step waits on a gate.</summary>
    public static bool IsGate(this Phase phase) => phase is Phase.Minted or Phase.RollingOut or Phase.Revoking or Phase.Stalled or Phase.Aborting;

    /// <summary>Phases of a rotation in flight.</summary>
    public static bool IsInFlight(this Phase phase) => !phase.IsAtRest() && phase != Phase.NeedsAttention;
}
