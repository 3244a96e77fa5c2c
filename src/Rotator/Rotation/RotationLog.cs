
namespace Rotator.Rotation;

/// <summary>Every step of every rotation is one structured event carrying the key, the rotation id and the step. Never a key value.</summary>
internal static partial class RotationLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: {From} -> {To} on {Cause} (trigger {Trigger}, actor {Actor})")]
    public static partial void Transition(ILogger logger, string key, string? rotationId, Phase from, Phase to, RotationEvent cause, RotationTrigger trigger, string actor);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: minted key {KeyId} with fingerprint {Fingerprint}")]
    public static partial void Minted(ILogger logger, string key, string? rotationId, string keyId, string fingerprint);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: stored fingerprint {Fingerprint} as version {Version} of {Secret}")]
    public static partial void Stored(ILogger logger, string key, string? rotationId, string fingerprint, string version, string secret);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Key {Key} rotation {RotationId}: gate {Gate} waiting on {Count} address(es): {Laggards}")]
    public static partial void GateWaiting(ILogger logger, string key, string? rotationId, GateKind gate, int count, string laggards);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: gate {Gate} opened ({Addresses} address(es) stable)")]
    public static partial void GateOpened(ILogger logger, string key, string? rotationId, GateKind gate, int addresses);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: revoked key {KeyId} (fingerprint {Fingerprint})")]
    public static partial void Revoked(ILogger logger, string key, string? rotationId, string keyId, string fingerprint);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Key {Key} rotation {RotationId}: completed; {Fingerprint} is current")]
    public static partial void Completed(ILogger logger, string key, string? rotationId, string? fingerprint);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: step {Phase} failed (attempt {Attempt} of {MaxAttempts}), retry in {RetryIn}: {Error}")]
    public static partial void StepFailed(ILogger logger, string key, string? rotationId, Phase phase, int attempt, int maxAttempts, TimeSpan retryIn, string error);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: stalled; consumers still not on {Fingerprint}: {Laggards}. The old key stays active until they switch and an operator completes the rotation")]
    public static partial void Stalled(ILogger logger, string key, string? rotationId, string? fingerprint, string laggards);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: revoked an orphan key {KeyId} labelled with this rotation (minted, value lost before it was stored)")]
    public static partial void OrphanRevoked(ILogger logger, string key, string? rotationId, string keyId);

    [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "Key {Key} rotation {RotationId} needs attention in {Phase}: {Reason}")]
    public static partial void NeedsAttention(ILogger logger, string key, string? rotationId, Phase phase, string reason);

    [LoggerMessage(EventId = 121, Level = LogLevel.Critical, Message = "Key {Key}: the current key {KeyId} is no longer active at the issuer; consumers using it are failing. Check the vendor's dashboard and rotate by hand")]
    public static partial void CurrentKeyRevoked(ILogger logger, string key, string keyId);

    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: operator request: {Request}")]
    public static partial void Operator(ILogger logger, string key, string? rotationId, string request);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: operator request refused: {Request}: {Why}")]
    public static partial void Refused(ILogger logger, string key, string? rotationId, string request, string why);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: emergency grace is over; revoking {Fingerprint} although {Count} consumer address(es) have not switched: {Laggards}")]
    public static partial void EmergencyGraceOver(ILogger logger, string key, string? rotationId, string? fingerprint, int count, string laggards);

    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "Key {Key} rotation {RotationId}: emergency: revoking suspected key(s) {Fingerprints}; {Count} consumer address(es) still send one: {Users}")]
    public static partial void EmergencyRevoking(ILogger logger, string key, string? rotationId, string fingerprints, int count, string users);

    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Key {Key}: could not record the rotation state ({Error}); retry in {RetryIn}")]
    public static partial void RecordFailed(ILogger logger, string key, string error, TimeSpan retryIn);
}
