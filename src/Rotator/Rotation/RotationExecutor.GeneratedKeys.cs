using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Issuers.Generated;
using Rotator.Vault;

namespace Rotator.Rotation;

/// <summary>The steps for keys Rotator generates: staged, accepted by verifiers before callers see them, revoked by removing the hash.</summary>
internal sealed partial class RotationExecutor
{
    /// <summary>Intent → Minted: generate the key and stage it in the control secret's value, in the same write as the record.</summary>
    private async Task<(RotationEvent, string?)> StageGeneratedAsync(Run run, CancellationToken cancellationToken)
    {
        // A hash of this rotation in -accepted with no staged value behind it is left from a crash: remove it, start over.
        var accepted = await ReadAcceptedAsync(run, cancellationToken);
        var stale = accepted.Accept.Where(a => a.Rotation == run.Record.RotationId).Select(a => a.Fingerprint).ToList();
        if (stale.Count > 0)
        {
            await WriteAcceptedAsync(run, stale.Aggregate(accepted, (doc, fingerprint) => doc.Without(fingerprint)), cancellationToken);
        }

        var value = KeyGenerator.Generate(run.Key.Issuer);
        var fingerprint = Fingerprint.Of(value);
        run.NewValue = value;
        run.StageValue = value;
        run.Record = run.Record with { NewKey = new KeyRef(fingerprint, fingerprint) };
        RotationLog.Minted(logger, run.Key.Name, run.Record.RotationId, fingerprint, fingerprint);
        return (RotationEvent.StepSucceeded, null);
    }

    /// <summary>Minted → Stored for a generated key: verifiers must accept it before any caller can see it.</summary>
    private async Task<(RotationEvent, string?)> AcceptThenStoreAsync(Run run, CancellationToken cancellationToken)
    {
        var value = run.NewValue ?? (run.Control?.Value is { } staged && staged != EmptyControlValue ? staged : null);
        if (value is null || Fingerprint.Of(value) != run.Record.NewKey?.Fingerprint)
        {
            return (RotationEvent.Unsafe, $"The staged key of rotation {run.Record.RotationId} is missing from '{run.ControlName}' or does not match the record. Check who changed the control secret.");
        }

        var accepted = await ReadAcceptedAsync(run, cancellationToken);
        var entry = AcceptedKeys.Entry(value, run.Record.RotationId!);
        if (!accepted.ContainsFingerprint(entry.Fingerprint))
        {
            await WriteAcceptedAsync(run, accepted.With(entry), cancellationToken);
        }

        var gate = await PollGateAsync(run, run.Key.Verifiers, ProbeRole.Verifier, GateKind.VerifiersAcceptNew, entry.Fingerprint, cancellationToken);
        if (gate != RotationEvent.GateOpened)
        {
            return (gate, gate == RotationEvent.GateTimedOut ? $"Verifiers did not accept the new key {entry.Fingerprint} within {run.Key.Rollout.Timeout}: check that they read '{SecretNames.Accepted(run.Key.Secret)}'." : null);
        }

        await StoreAsync(run, value, null, run.Record.RotationId!, cancellationToken);
        return (RotationEvent.StepSucceeded, null);
    }

    /// <summary>Revoking → Completed for a generated key: removing the old hash is the revocation; then verifiers must drop it.</summary>
    private async Task<(RotationEvent, string?)> RemoveOldHashAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Record.OldKey is not { } old)
        {
            run.StageValue = EmptyControlValue;
            return (RotationEvent.StepSucceeded, null);
        }

        var accepted = await ReadAcceptedAsync(run, cancellationToken);
        if (accepted.ContainsFingerprint(old.Fingerprint))
        {
            await WriteAcceptedAsync(run, accepted.Without(old.Fingerprint), cancellationToken);
            RotationLog.Revoked(logger, run.Key.Name, run.Record.RotationId, old.Fingerprint, old.Fingerprint);
        }

        var gate = await PollGateAsync(run, run.Key.Verifiers, ProbeRole.Verifier, GateKind.VerifiersDropOld, old.Fingerprint, cancellationToken);
        if (gate != RotationEvent.GateOpened)
        {
            return (gate, gate == RotationEvent.GateTimedOut ? $"Verifiers still accept the revoked key {old.Fingerprint} after {run.Key.Rollout.Timeout}: check that they re-read '{SecretNames.Accepted(run.Key.Secret)}'." : null);
        }

        // The staged copy is no longer needed once the key is the managed secret's latest version.
        run.StageValue = EmptyControlValue;
        return (RotationEvent.StepSucceeded, null);
    }

    private async Task<AcceptedKeys> ReadAcceptedAsync(Run run, CancellationToken cancellationToken)
    {
        var secret = await vault.GetAsync(SecretNames.Accepted(run.Key.Secret), null, cancellationToken);
        if (secret?.Value is null)
        {
            return AcceptedKeys.Empty;
        }

        try
        {
            return AcceptedKeys.Parse(secret.Value);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw new VaultException(VaultFailure.Permanent, $"'{SecretNames.Accepted(run.Key.Secret)}' is not an accepted-keys document ({{\"v\":1,\"accept\":[…]}}). Check who wrote it.");
        }
    }

    private Task WriteAcceptedAsync(Run run, AcceptedKeys accepted, CancellationToken cancellationToken) =>
        vault.SetAsync(SecretNames.Accepted(run.Key.Secret), accepted.ToJson(), new Dictionary<string, string>(), Expiry(run), cancellationToken);
}
