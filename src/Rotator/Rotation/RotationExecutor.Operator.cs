using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;

namespace Rotator.Rotation;

/// <summary>What operators ask: rotate, emergency, abort, forced completion, pause and resume (DESIGN.md, "Abort, emergency, force").</summary>
internal sealed partial class RotationExecutor
{
    /// <summary>Turns a request into an event for the decision function, or answers it at once (a refusal, a pause).</summary>
    private async Task<(ExecutionResult? Result, (RotationEvent, string?)? Event)> ApplyRequestAsync(Run run, OperatorRequest request, CancellationToken cancellationToken)
    {
        var record = run.Record;
        var phase = record.Phase;
        // A refusal leaves whatever was planned in place: a rotation in flight keeps its follow-up, a resting key its due time.
        ExecutionResult Unchanged() => phase.IsInFlight() ? Result(run, time.GetUtcNow() + run.Key.Rollout.PollInterval, RunReason.FollowUp) : Rest(run);
        ExecutionResult Refuse(string why)
        {
            RotationLog.Refused(logger, run.Key.Name, record.RotationId, request.Describe(), why);
            return Unchanged() with { Refused = why };
        }


        switch (request.Action)
        {
            case OperatorAction.Pause:
                await WriteRecordAsync(run, record with { Paused = true, Note = request.Describe() }, cancellationToken);
                RotationLog.Operator(logger, run.Key.Name, record.RotationId, request.Describe());
                return phase.IsInFlight() ? (null, null) : (Rest(run), null);

            case OperatorAction.Resume:
                await WriteRecordAsync(run, record with { Paused = false, Note = request.Describe() }, cancellationToken);
                RotationLog.Operator(logger, run.Key.Name, record.RotationId, request.Describe());
                return phase == Phase.NeedsAttention ? (null, (RotationEvent.OperatorResumed, null)) : (null, null);

            case OperatorAction.Rotate:
                if (phase == Phase.NeedsAttention)
                {
                    return (Refuse($"Key {run.Key.Name} needs attention ({record.Error}); resume or abort it first."), null);
                }

                return phase.IsInFlight() ? (Refuse($"Rotation {record.RotationId} is already running ({phase})."), null) : (null, null);

            case OperatorAction.Emergency when record.Trigger == RotationTrigger.Emergency && phase.IsInFlight():
                // A repeated emergency request is answered with the one already running.
                return (Unchanged(), null);

            case OperatorAction.Emergency when phase.IsAtRest():
                return (null, null);

            case OperatorAction.Emergency:
                RotationLog.Operator(logger, run.Key.Name, record.RotationId, request.Describe());
                return (null, await EmergencyInFlightAsync(run, request, cancellationToken));

            case OperatorAction.Abort when phase is Phase.Intent or Phase.Minted or Phase.Stored or Phase.RollingOut or Phase.Stalled or Phase.NeedsAttention:
                run.Record = record with { Note = request.Describe(), Actor = request.Actor };
                RotationLog.Operator(logger, run.Key.Name, record.RotationId, request.Describe());
                return (null, (RotationEvent.Abort, null));

            case OperatorAction.Abort:
                return (Refuse(phase == Phase.Revoking
                    ? $"Rotation {record.RotationId} is already revoking the old key; it cannot be undone."
                    : $"Key {run.Key.Name} has no rotation to abort ({phase})."), null);

            case OperatorAction.ForceComplete when !request.Confirmed || string.IsNullOrWhiteSpace(request.Reason):
                return (Refuse("Completing a rotation by force revokes a key that consumers may still send: it needs an explicit confirmation (force) and a reason."), null);

            case OperatorAction.ForceComplete when phase is Phase.RollingOut or Phase.Stalled or Phase.Aborting:
                run.Record = record with { Forced = true, Note = request.Describe() };
                RotationLog.Operator(logger, run.Key.Name, record.RotationId, request.Describe());
                return (null, (RotationEvent.ForceComplete, null));

            default:
                return (Refuse($"Key {run.Key.Name} is {phase}: there is nothing to complete."), null);
        }
    }

    /// <summary>
    /// An emergency while a rotation runs. Suspecting the old key turns the gate into a grace; suspecting the new key
    /// (or all) starts over: the suspects are revoked first, then a fresh key is minted.
    /// </summary>
    private async Task<(RotationEvent, string?)?> EmergencyInFlightAsync(Run run, OperatorRequest request, CancellationToken cancellationToken)
    {
        var record = run.Record;
        var now = time.GetUtcNow();
        if (request.Suspect == Suspect.Old || (request.Suspect == Suspect.New && record.NewKey is null && record.Phase != Phase.NeedsAttention))
        {
            // Nothing new is out yet for "new": the Intent step already revokes whatever a lost answer minted under this rotation's label.
            await WriteRecordAsync(run, record with { Emergency = request.Suspect, EmergencySince = now, Trigger = RotationTrigger.Emergency, Actor = request.Actor, Note = request.Describe() }, cancellationToken);
            return null;
        }

        KeyRef?[] suspects = request.Suspect == Suspect.All ? [record.OldKey, record.NewKey] : [record.NewKey];
        run.PendingRecord = record with
        {
            RotationId = NewRotationId(),
            Trigger = RotationTrigger.Emergency,
            Actor = request.Actor,
            Emergency = request.Suspect,
            EmergencySince = now,
            Suspects = [.. suspects.OfType<KeyRef>()],
            OldKey = request.Suspect == Suspect.All ? null : record.OldKey,
            NewKey = null,
            Forced = false,
            Note = request.Describe(),
        };
        return (RotationEvent.EmergencyRevoke, null);
    }

    /// <summary>
    /// Intent with suspects: put a trusted key back as the latest version if a suspect is there, say who still sends a
    /// suspect, revoke them all, then mint as usual. Every part is safe to repeat after a crash.
    /// </summary>
    private async Task<(RotationEvent, string?)> RevokeSuspectsAsync(Run run, CancellationToken cancellationToken)
    {
        var record = run.Record;
        var suspects = record.Suspects;
        var fingerprints = suspects.Select(s => s.Fingerprint).ToHashSet(StringComparer.Ordinal);
        if (record.OldKey is { } trusted && !fingerprints.Contains(trusted.Fingerprint)
            && run.Latest?.Value is { } latest && fingerprints.Contains(Fingerprint.Of(latest)))
        {
            await RestoreAsync(run, trusted, $"{record.RotationId}-restore", cancellationToken);
        }

        var observations = await probe.PollAsync(run.Key.Consumers, ProbeRole.Consumer, cancellationToken);
        var users = observations.Where(o => o.Fingerprints.Any(fingerprints.Contains)).ToList();
        RotationLog.EmergencyRevoking(logger, run.Key.Name, record.RotationId, string.Join(",", fingerprints), users.Count, Describe(users));

        var generated = run.Key.Issuer.Kind == IssuerType.Generated;
        if (generated)
        {
            var accepted = await ReadAcceptedAsync(run, cancellationToken);
            var kept = fingerprints.Aggregate(accepted, (doc, fingerprint) => doc.Without(fingerprint));
            if (kept.Accept.Count != accepted.Accept.Count)
            {
                await WriteAcceptedAsync(run, kept, cancellationToken);
            }
        }
        else
        {
            var issuer = issuers.Create(run.Key);
            foreach (var suspect in suspects)
            {
                var id = suspect.IssuerId ?? await AdoptAsync(issuer, run.Key, cancellationToken)
                    ?? throw new Issuers.IssuerException(Issuers.IssuerFailure.Permanent, $"Cannot tell which active key in account '{run.Key.Issuer.Http.Account}' is the suspected {suspect.Fingerprint}: revoke it at the vendor by hand (or set Issuer.Http.CurrentKeyId), then resume.");
                await issuer.RevokeAsync(id, cancellationToken);
                RotationLog.Revoked(logger, run.Key.Name, record.RotationId, id, suspect.Fingerprint);
            }
        }

        run.Record = record with { Suspects = [] };
        return generated ? await StageGeneratedAsync(run, cancellationToken) : await MintAsync(run, cancellationToken);
    }

    /// <summary>
    /// Aborting: if the new key reached the vault, store the old one again as the latest version and wait until every
    /// consumer reports it (an operator may force this); then revoke the new key. The key's schedule is then paused.
    /// </summary>
    private async Task<(RotationEvent, string?)> AbortAsync(Run run, CancellationToken cancellationToken)
    {
        var record = run.Record;
        var rotation = record.RotationId ?? "";
        var old = record.OldKey;
        var generated = run.Key.Issuer.Kind == IssuerType.Generated;
        var newStored = await FindStoredVersionAsync(run, rotation, cancellationToken) is not null;
        if (newStored && old is null)
        {
            return (RotationEvent.Unsafe, $"Rotation {rotation} stored the first key of '{run.Key.Secret}'; there is no older key to go back to. Resume it instead of aborting.");
        }

        var accepted = generated ? await ReadAcceptedAsync(run, cancellationToken) : null;
        var newStillActive = record.NewKey is not { } fresh || accepted is null || accepted.ContainsFingerprint(fresh.Fingerprint);
        if (newStored && newStillActive)
        {
            if (run.Latest?.Value is not { } latest || Fingerprint.Of(latest) != old!.Value.Fingerprint)
            {
                await RestoreAsync(run, old!.Value, $"{rotation}-abort", cancellationToken);
            }

            if (!record.Forced)
            {
                var back = await PollGateAsync(run, run.Key.Consumers, ProbeRole.Consumer, GateKind.CallersOnNew, old!.Value.Fingerprint, cancellationToken);
                if (back != RotationEvent.GateOpened)
                {
                    return (back, back == RotationEvent.GateTimedOut ? $"Consumers did not go back to {old.Value.Fingerprint} within {run.Key.Rollout.Timeout}; the new key stays active until they do, or an operator forces the abort." : null);
                }
            }
        }

        if (generated)
        {
            if (record.NewKey is { } minted)
            {
                if (accepted!.ContainsFingerprint(minted.Fingerprint))
                {
                    await WriteAcceptedAsync(run, accepted.Without(minted.Fingerprint), cancellationToken);
                    RotationLog.Revoked(logger, run.Key.Name, rotation, minted.Fingerprint, minted.Fingerprint);
                }

                var dropped = await PollGateAsync(run, run.Key.Verifiers, ProbeRole.Verifier, GateKind.VerifiersDropOld, minted.Fingerprint, cancellationToken);
                if (dropped != RotationEvent.GateOpened && !record.Forced)
                {
                    return (dropped == RotationEvent.GateTimedOut ? RotationEvent.GateTimedOut : RotationEvent.GateWaiting, null);
                }
            }

            run.StageValue = EmptyControlValue;
        }
        else
        {
            // Whatever this rotation minted, whether its answer arrived or not, carries its label.
            var issuer = issuers.Create(run.Key);
            var minted = (await issuer.ListAsync(cancellationToken)).Where(k => k.Label == rotation).Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
            if (record.NewKey?.IssuerId is { } id)
            {
                minted.Add(id);
            }

            foreach (var keyId in minted)
            {
                await issuer.RevokeAsync(keyId, cancellationToken);
                RotationLog.Revoked(logger, run.Key.Name, rotation, keyId, record.NewKey?.Fingerprint ?? "?");
            }
        }

        return (RotationEvent.StepSucceeded, null);
    }

    /// <summary>Stores a trusted key's value again as the latest version, found through its fingerprint tag.</summary>
    private async Task RestoreAsync(Run run, KeyRef trusted, string tag, CancellationToken cancellationToken)
    {
        // Rotator's versions carry their fingerprint; a key adopted from a version written by hand has to be read to be found.
        var versions = await vault.ListVersionsAsync(run.Key.Secret, cancellationToken);
        var candidates = versions.Where(v => v.Tags.GetValueOrDefault(VersionTags.Fingerprint) == trusted.Fingerprint)
            .Concat(versions.Where(v => !v.Tags.ContainsKey(VersionTags.Fingerprint)).Reverse());
        foreach (var candidate in candidates)
        {
            if ((await vault.GetAsync(run.Key.Secret, candidate.Version, cancellationToken))?.Value is { } value && Fingerprint.Of(value) == trusted.Fingerprint)
            {
                await StoreAsync(run, value, trusted.IssuerId, tag, cancellationToken);
                return;
            }
        }

        throw new Vault.VaultException(Vault.VaultFailure.Permanent, $"No version of '{run.Key.Secret}' holds the key {trusted.Fingerprint} to go back to. Check the secret's versions.");
    }
}
