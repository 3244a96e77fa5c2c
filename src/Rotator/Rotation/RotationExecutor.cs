using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Issuers;
using Rotator.Issuers.Generated;
using Rotator.Scheduling;
using Rotator.Vault;

namespace Rotator.Rotation;

/// <summary>Why the executor runs.</summary>
public enum RunReason
{
    /// <summary>The schedule says the key is due.</summary>
    Scheduled,

    /// <summary>An operator asked for a rotation.</summary>
    Manual,

    /// <summary>A gate's poll or a retry; continues whatever is in flight.</summary>
    FollowUp,

    /// <summary>The worker started: resume what is in flight, start what is overdue.</summary>
    Startup,
}

/// <summary>The outcome of one execution: the phase it left the key in and when to run again.</summary>
/// <param name="Completed">The record of a rotation that completed during this execution.</param>
public sealed record ExecutionResult(Phase Phase, DateTimeOffset? RunAgainAt, RunReason RunAgainAs, string? Error = null, ControlRecord? Completed = null);

/// <summary>
/// Runs the rotation protocol for one managed key: loads its record from the vault, takes steps until it must wait,
/// records each transition before the next side effect, and says when to run again. The decisions are
/// <see cref="RotationDecision.Decide"/>'s; this class does the I/O.
/// </summary>
internal sealed partial class RotationExecutor(
    IVault vault,
    IIssuerFactory issuers,
    IConsumerProbe probe,
    GateMemory gates,
    TimeProvider time,
    IOptionsMonitor<RotatorOptions> options,
    WorkerIdentity worker,
    ILogger<RotationExecutor> logger)
{
    private const string EmptyControlValue = "-";
    private const int MaxStepsPerRun = 32;

    public async Task<ExecutionResult> RunAsync(ManagedKeyOptions key, RunReason reason, string? actor, CancellationToken cancellationToken)
    {
        var run = new Run(key);
        try
        {
            await LoadAsync(run, cancellationToken);
        }
        catch (Exception e) when (e is VaultException { Failure: VaultFailure.Transient })
        {
            var retryIn = RetryDelay(1);
            RotationLog.RecordFailed(logger, key.Name, e.Message, retryIn);
            return new ExecutionResult(Phase.Idle, time.GetUtcNow() + retryIn, reason, e.Message);
        }

        if (run.Record.Paused && run.Record.Phase.IsAtRest())
        {
            return new ExecutionResult(run.Record.Phase, null, RunReason.Scheduled);
        }

        if (run.Record.Phase.IsAtRest() && !IsDue(run, reason))
        {
            return Rest(run);
        }

        for (var step = 0; step < MaxStepsPerRun; step++)
        {
            var from = run.Record.Phase;
            var (@event, error) = from.IsAtRest() ? await StartAsync(run, reason, actor, cancellationToken) : await StepAsync(run, cancellationToken);
            var decision = RotationDecision.Decide(from, @event);
            var attempts = run.Record.Attempts;
            if (decision.CountsAttempt)
            {
                attempts++;
                if (attempts >= Options.Retry.MaxAttempts)
                {
                    error = $"{error} (gave up after {attempts} attempts)";
                    decision = RotationDecision.Decide(from, RotationEvent.AttemptsExhausted);
                }
            }

            var now = time.GetUtcNow();
            var changed = decision.Changes(from);
            var next = run.Record with
            {
                Phase = decision.Next,
                Attempts = changed ? 0 : attempts,
                PhaseSince = changed ? now : run.Record.PhaseSince ?? now,
                Error = error is null ? (changed ? null : run.Record.Error) : ControlRecord.Truncate(error),
            };
            next = Completing(next, decision.Next, now);

            if (changed || next.Attempts != run.Record.Attempts || next.Error != run.Record.Error)
            {
                try
                {
                    await WriteRecordAsync(run, next, cancellationToken);
                }
                catch (VaultException e) when (e.Failure == VaultFailure.Transient)
                {
                    // The transition is not recorded, so it did not happen: the next run repeats this step, whose writes are all checked first.
                    var retryIn = RetryDelay(attempts + 1);
                    RotationLog.RecordFailed(logger, key.Name, e.Message, retryIn);
                    return new ExecutionResult(from, now + retryIn, from.IsAtRest() ? reason : RunReason.FollowUp, e.Message);
                }
            }
            else
            {
                run.Record = next;
            }

            Report(run, from, @event, decision, error);

            switch (decision.Then)
            {
                case Then.Continue:
                    continue;
                case Then.Poll:
                    return new ExecutionResult(decision.Next, now + run.Key.Rollout.PollInterval, RunReason.FollowUp);
                case Then.PollStalled:
                    return new ExecutionResult(decision.Next, now + run.Key.Rollout.StalledPollInterval, RunReason.FollowUp);
                case Then.Backoff:
                    var retryIn = RetryDelay(Math.Max(1, next.Attempts));
                    RotationLog.StepFailed(logger, key.Name, next.RotationId, from, next.Attempts, Options.Retry.MaxAttempts, retryIn, error ?? "unknown");
                    return new ExecutionResult(decision.Next, now + retryIn, from.IsAtRest() ? reason : RunReason.FollowUp, error);
                default:
                    return decision.Next == Phase.Completed && decision.Changes(from) ? Rest(run) with { Completed = run.Record } : Rest(run);
            }
        }

        // A bounded loop: a protocol bug must not spin; the follow-up resumes from the recorded phase.
        return new ExecutionResult(run.Record.Phase, time.GetUtcNow() + run.Key.Rollout.PollInterval, RunReason.FollowUp);
    }

    private RotatorOptions Options => options.CurrentValue;

    private ExecutionResult Rest(Run run)
    {
        var record = run.Record;
        if (record.Phase == Phase.NeedsAttention || record.Paused)
        {
            return new ExecutionResult(record.Phase, null, RunReason.Scheduled, record.Error);
        }

        // Interval schedules come back at their due time; cron schedules have their own Quartz trigger.
        var due = run.Key.Schedule.Interval is null ? (DateTimeOffset?)null : Schedules.NextDue(run.Key.Schedule, record.LastCompleted, time.GetUtcNow());
        return new ExecutionResult(record.Phase, due, RunReason.Scheduled, record.Error);
    }

    private bool IsDue(Run run, RunReason reason) => reason switch
    {
        RunReason.Scheduled or RunReason.Manual => true,
        _ => Schedules.IsIntervalDue(run.Key.Schedule, run.Record.LastCompleted, time.GetUtcNow())
            || (run.Latest is null && run.Key.Bootstrap),
    };

    private TimeSpan RetryDelay(int attempt) => Backoff.Delay(attempt, Options.Retry.BaseDelay, Options.Retry.MaxDelay, Random.Shared.NextDouble());

    private static ControlRecord Completing(ControlRecord record, Phase next, DateTimeOffset now) => next == Phase.Completed
        ? record with { LastCompleted = now }
        : record;

    private void Report(Run run, Phase from, RotationEvent @event, Decision decision, string? error)
    {
        var record = run.Record;
        if (decision.Changes(from))
        {
            RotationLog.Transition(logger, run.Key.Name, record.RotationId, from, decision.Next, @event, record.Trigger, record.Actor ?? "schedule");
        }

        if (decision.Next == Phase.NeedsAttention && decision.Changes(from))
        {
            RotationLog.NeedsAttention(logger, run.Key.Name, record.RotationId, from, error ?? "unknown");
        }

        if (decision.Next == Phase.Completed)
        {
            RotationLog.Completed(logger, run.Key.Name, record.RotationId, record.NewKey?.Fingerprint);
        }
    }

    /// <summary>Loads the record and the managed secret's latest version, and lets evidence correct the record.</summary>
    private async Task LoadAsync(Run run, CancellationToken cancellationToken)
    {
        run.Control = await vault.GetAsync(run.ControlName, null, cancellationToken);
        run.Record = run.Control is null ? new ControlRecord() : ControlRecord.FromTags(run.Control.Tags);
        run.Latest = await LatestAsync(run, cancellationToken);

        // Evidence over records: a version tagged with this rotation means the key was stored, whatever the record says.
        if (run.Record.Phase is Phase.Intent or Phase.Minted && run.Record.RotationId is { } rotation
            && await FindStoredVersionAsync(run, rotation, cancellationToken) is { } stored)
        {
            var fingerprint = stored.Tags.GetValueOrDefault(VersionTags.Fingerprint) ?? run.Record.NewKey?.Fingerprint ?? "";
            var record = run.Record with
            {
                Phase = Phase.Stored,
                NewKey = new KeyRef(fingerprint, stored.Tags.GetValueOrDefault(VersionTags.KeyId) ?? run.Record.NewKey?.IssuerId),
                PhaseSince = time.GetUtcNow(),
                Attempts = 0,
            };
            await WriteRecordAsync(run, record, cancellationToken);
        }
    }

    private async Task<StoredSecret?> LatestAsync(Run run, CancellationToken cancellationToken)
    {
        try
        {
            return await vault.GetAsync(run.Key.Secret, null, cancellationToken);
        }
        catch (VaultException e) when (e.Failure == VaultFailure.Disabled)
        {
            run.LatestProblem = e.Message;
            return null;
        }
    }

    private async Task<StoredSecret?> FindStoredVersionAsync(Run run, string rotation, CancellationToken cancellationToken)
    {
        var versions = await vault.ListVersionsAsync(run.Key.Secret, cancellationToken);
        return versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(VersionTags.Rotation) == rotation);
    }

    /// <summary>Idle or Completed and due: check that a rotation may start, then name it.</summary>
    private async Task<(RotationEvent, string?)> StartAsync(Run run, RunReason reason, string? actor, CancellationToken cancellationToken)
    {
        var key = run.Key;
        if (run.LatestProblem is { } problem)
        {
            return (RotationEvent.Unsafe, problem);
        }

        KeyRef? current = null;
        if (run.Latest is { } latest)
        {
            var tagged = latest.Tags.GetValueOrDefault(VersionTags.Fingerprint);
            var fingerprint = Fingerprint.Of(latest.Value ?? "");
            if (run.Control is not null && run.Record.LastCompleted is not null && tagged is null)
            {
                return (RotationEvent.Unsafe, $"The latest version {latest.Version} of '{key.Secret}' was not written by Rotator (it has no {VersionTags.Fingerprint} tag). Check who wrote it; if it is the key to keep, tag it or disable it, then resume.");
            }

            if (tagged is not null && tagged != fingerprint)
            {
                return (RotationEvent.Unsafe, $"The latest version {latest.Version} of '{key.Secret}' holds a key whose fingerprint does not match its {VersionTags.Fingerprint} tag. Check who changed it.");
            }

            current = new KeyRef(fingerprint, latest.Tags.GetValueOrDefault(VersionTags.KeyId));
        }
        else if (!key.Bootstrap)
        {
            return (RotationEvent.Unsafe, $"The managed secret '{key.Secret}' has no version. If this is a new key, set bootstrap: true for it; otherwise check the secret's name (a soft-deleted secret must be recovered first).");
        }

        var trigger = run.Latest is null ? RotationTrigger.Bootstrap : reason == RunReason.Manual ? RotationTrigger.Manual : RotationTrigger.Schedule;
        run.PendingRecord = run.Record with
        {
            RotationId = NewRotationId(),
            Trigger = trigger,
            Actor = actor,
            OldKey = current,
            NewKey = null,
            Error = null,
        };
        await Task.CompletedTask;
        return (RotationEvent.Due, null);
    }

    private string NewRotationId() =>
        "r" + time.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));

    /// <summary>Runs the step of the current phase and says what happened. Failures become events, never escapes.</summary>
    private async Task<(RotationEvent, string?)> StepAsync(Run run, CancellationToken cancellationToken)
    {
        try
        {
            var generated = run.Key.Issuer.Kind == IssuerType.Generated;
            return run.Record.Phase switch
            {
                Phase.Intent => generated ? await StageGeneratedAsync(run, cancellationToken) : await MintAsync(run, cancellationToken),
                Phase.Minted => generated ? await AcceptThenStoreAsync(run, cancellationToken) : await StoreMintedAsync(run, cancellationToken),
                Phase.Stored => (RotationEvent.StepSucceeded, null),
                Phase.RollingOut or Phase.Stalled => await PollCallersAsync(run, cancellationToken),
                Phase.Revoking => generated ? await RemoveOldHashAsync(run, cancellationToken) : await RevokeOldAsync(run, cancellationToken),
                _ => (RotationEvent.StepSucceeded, null),
            };
        }
        catch (VaultException e) when (e.Failure == VaultFailure.Transient)
        {
            return (RotationEvent.StepFailed, e.Message);
        }
        catch (VaultException e)
        {
            return (RotationEvent.Unsafe, e.Message);
        }
        catch (IssuerException e) when (e.Failure is IssuerFailure.Transient or IssuerFailure.MaybeMinted)
        {
            return (RotationEvent.StepFailed, e.Message);
        }
        catch (IssuerException e)
        {
            return (RotationEvent.Unsafe, e.Message);
        }
    }

    // ---- Vendor keys -------------------------------------------------------------------------------------------

    /// <summary>Intent → Minted: clean up a "maybe minted" key, check the account's room, mint, verify.</summary>
    private async Task<(RotationEvent, string?)> MintAsync(Run run, CancellationToken cancellationToken)
    {
        var key = run.Key;
        var rotation = run.Record.RotationId!;
        var issuer = issuers.Create(key);
        var active = await issuer.ListAsync(cancellationToken);

        // A key labelled with this rotation was minted by an earlier attempt whose answer (or record) was lost; its value is gone.
        foreach (var orphan in active.Where(k => k.Label == rotation))
        {
            await issuer.RevokeAsync(orphan.Id, cancellationToken);
            RotationLog.OrphanRevoked(logger, key.Name, rotation, orphan.Id);
        }

        active = [.. active.Where(k => k.Label != rotation)];
        var old = run.Record.OldKey;
        if (old is { IssuerId: { } oldId } && active.All(k => k.Id != oldId))
        {
            RotationLog.CurrentKeyRevoked(logger, key.Name, oldId);
            return (RotationEvent.Unsafe, $"The current key {oldId} (fingerprint {old.Value.Fingerprint}) is not active at the issuer: it was revoked outside Rotator. Consumers using it fail; check the vendor and store a working key by hand.");
        }

        if (old is { IssuerId: null } adopted)
        {
            // Adoption: the first rotation of a key created by hand. Never revoke a key Rotator cannot identify.
            if (active.Count != 1)
            {
                return (RotationEvent.Unsafe, $"Cannot tell which of the {active.Count} active keys in account '{key.Issuer.Http.Account}' is the current one of '{key.Secret}'. Revoke the keys nobody uses at the vendor, then resume.");
            }

            run.Record = run.Record with { OldKey = adopted with { IssuerId = active[0].Id } };
        }

        var limit = key.Issuer.Http.MaxActiveKeys;
        if (active.Count + 1 > limit)
        {
            return (RotationEvent.Unsafe, $"Account '{key.Issuer.Http.Account}' has {active.Count} active keys and allows {limit}: minting one more would be refused. Revoke a key nobody uses at the vendor (ids: {string.Join(", ", active.Select(k => k.Id))}), then resume.");
        }

        MintedKey minted;
        try
        {
            minted = await issuer.CreateAsync(rotation, cancellationToken);
        }
        catch (IssuerException e) when (e.Failure == IssuerFailure.MaybeMinted)
        {
            // Never create again blindly: find what the lost answer made, and revoke it, since its value is unknown.
            foreach (var orphan in (await issuer.ListAsync(cancellationToken)).Where(k => k.Label == rotation))
            {
                await issuer.RevokeAsync(orphan.Id, cancellationToken);
                RotationLog.OrphanRevoked(logger, key.Name, rotation, orphan.Id);
            }

            return (RotationEvent.StepFailed, e.Message);
        }

        if (!await issuer.VerifyAsync(minted.Value, cancellationToken))
        {
            await issuer.RevokeAsync(minted.Id, cancellationToken);
            return (RotationEvent.StepFailed, $"The vendor did not accept the new key {minted.Id} in its verify request; it was revoked and will be minted again.");
        }

        var fingerprint = Fingerprint.Of(minted.Value);
        run.NewValue = minted.Value;
        run.Record = run.Record with { NewKey = new KeyRef(fingerprint, minted.Id) };
        RotationLog.Minted(logger, key.Name, rotation, minted.Id, fingerprint);
        return (RotationEvent.StepSucceeded, null);
    }

    /// <summary>Minted → Stored for a vendor key: the value lives only in this process, so a restart means mint again.</summary>
    private async Task<(RotationEvent, string?)> StoreMintedAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.NewValue is null)
        {
            if (run.Record.NewKey is { IssuerId: { } lostId })
            {
                await issuers.Create(run.Key).RevokeAsync(lostId, cancellationToken);
                RotationLog.OrphanRevoked(logger, run.Key.Name, run.Record.RotationId, lostId);
            }

            run.Record = run.Record with { NewKey = null };
            return (RotationEvent.KeyLost, "The new key's value was lost before it was stored (restart); it was revoked and will be minted again.");
        }

        await StoreAsync(run, run.NewValue, cancellationToken);
        return (RotationEvent.StepSucceeded, null);
    }

    /// <summary>Revoking → Completed for a vendor key; the issuer confirms the revoke by listing again.</summary>
    private async Task<(RotationEvent, string?)> RevokeOldAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Record.OldKey is { IssuerId: { } oldId } old)
        {
            await issuers.Create(run.Key).RevokeAsync(oldId, cancellationToken);
            RotationLog.Revoked(logger, run.Key.Name, run.Record.RotationId, oldId, old.Fingerprint);
        }

        return (RotationEvent.StepSucceeded, null);
    }

    // ---- Generated keys ----------------------------------------------------------------------------------------

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

        await StoreAsync(run, value, cancellationToken);
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

    // ---- Shared steps ------------------------------------------------------------------------------------------

    /// <summary>Writes the new key as the managed secret's latest version, unless a version of this rotation is already there.</summary>
    private async Task StoreAsync(Run run, string value, CancellationToken cancellationToken)
    {
        var rotation = run.Record.RotationId!;
        var versions = await vault.ListVersionsAsync(run.Key.Secret, cancellationToken);
        if (versions.Any(v => v.Tags.GetValueOrDefault(VersionTags.Rotation) == rotation))
        {
            return;
        }

        var previous = run.Latest?.Tags ?? new Dictionary<string, string>();
        var tags = previous
            .Where(t => !t.Key.StartsWith(VersionTags.Prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var sequence = int.TryParse(previous.GetValueOrDefault(VersionTags.Sequence), CultureInfo.InvariantCulture, out var seq) ? seq + 1 : 1;
        var fingerprint = Fingerprint.Of(value);
        tags[VersionTags.Fingerprint] = fingerprint;
        tags[VersionTags.Rotation] = rotation;
        tags[VersionTags.Sequence] = sequence.ToString(CultureInfo.InvariantCulture);
        if (run.Record.NewKey?.IssuerId is { } id)
        {
            tags[VersionTags.KeyId] = id;
        }

        var stored = await vault.SetAsync(run.Key.Secret, value, tags, Expiry(run), cancellationToken);
        RotationLog.Stored(logger, run.Key.Name, rotation, fingerprint, stored.Version, run.Key.Secret);
    }

    private async Task<(RotationEvent, string?)> PollCallersAsync(Run run, CancellationToken cancellationToken)
    {
        var fingerprint = run.Record.NewKey?.Fingerprint;
        if (fingerprint is null)
        {
            return (RotationEvent.Unsafe, $"Rotation {run.Record.RotationId} is rolling out but its record names no new key. Check '{run.ControlName}'.");
        }

        var gate = await PollGateAsync(run, run.Key.Consumers, ProbeRole.Consumer, GateKind.CallersOnNew, fingerprint, cancellationToken);
        return (gate, null);
    }

    /// <summary>Asks every address once and applies the gate's rules; the stability timer lives in <see cref="GateMemory"/>.</summary>
    private async Task<RotationEvent> PollGateAsync(Run run, IReadOnlyList<ProbeOptions> probes, ProbeRole role, GateKind kind, string fingerprint, CancellationToken cancellationToken)
    {
        var observations = await probe.PollAsync(probes, role, cancellationToken);
        var now = time.GetUtcNow();
        var passes = Gate.Passes(observations, kind, fingerprint);
        var state = gates.Observe(run.Key.Name, run.Record.RotationId!, kind, passes, now);
        run.LastObservations = observations;
        if (Gate.IsOpen(state, run.Key.Rollout.StableFor, now))
        {
            gates.Forget(run.Key.Name, run.Record.RotationId!, kind);
            RotationLog.GateOpened(logger, run.Key.Name, run.Record.RotationId, kind, observations.Count);
            return RotationEvent.GateOpened;
        }

        var laggards = Gate.Laggards(observations, kind, fingerprint);
        var described = laggards.Count == 0 ? "stable for less than " + run.Key.Rollout.StableFor : Describe(laggards);
        if (run.Record.Phase != Phase.Stalled && now - (run.Record.PhaseSince ?? now) >= run.Key.Rollout.Timeout)
        {
            if (kind == GateKind.CallersOnNew)
            {
                RotationLog.Stalled(logger, run.Key.Name, run.Record.RotationId, fingerprint, described);
            }

            return RotationEvent.GateTimedOut;
        }

        RotationLog.GateWaiting(logger, run.Key.Name, run.Record.RotationId, kind, laggards.Count, described);
        return RotationEvent.GateWaiting;
    }

    private static string Describe(IReadOnlyList<ProbeObservation> laggards) => string.Join("; ", laggards.Select(o =>
        $"{o.Target}{(o.Address.Length > 0 ? " at " + o.Address : "")}: {o.Error ?? "reports " + (o.Fingerprints.Count == 0 ? "nothing" : string.Join(",", o.Fingerprints))}"));

    private DateTimeOffset Expiry(Run run) =>
        Schedules.NextDue(run.Key.Schedule, time.GetUtcNow(), time.GetUtcNow()) + run.Key.Rollout.Timeout + run.Key.ExpiryMargin;

    /// <summary>Writes the record: a PATCH of the control secret's tags, or a new version when its staged value changes.</summary>
    private async Task WriteRecordAsync(Run run, ControlRecord record, CancellationToken cancellationToken)
    {
        if (run.PendingRecord is { } pending && record.Phase == Phase.Intent)
        {
            record = pending with { Phase = Phase.Intent, PhaseSince = record.PhaseSince, Attempts = 0 };
        }

        record = record with { Lease = worker.Id };
        var tags = record.ToTags();
        if (run.Control is null || run.StageValue is not null)
        {
            var value = run.StageValue ?? EmptyControlValue;
            var written = await vault.SetAsync(run.ControlName, value, tags, null, cancellationToken);
            run.Control = written with { Value = value };
        }
        else
        {
            await vault.UpdateTagsAsync(run.ControlName, run.Control.Version, tags, cancellationToken);
            run.Control = run.Control with { Tags = tags };
        }

        run.StageValue = null;
        run.PendingRecord = null;
        run.Record = record;
    }

    /// <summary>What one execution knows about its key. Lives for one execution only: the vault is the system of record.</summary>
    private sealed class Run(ManagedKeyOptions key)
    {
        public ManagedKeyOptions Key { get; } = key;

        public string ControlName { get; } = SecretNames.Control(key.Secret);

        public StoredSecret? Control { get; set; }

        public ControlRecord Record { get; set; } = new();

        /// <summary>The record of a rotation being started: written as the Intent record.</summary>
        public ControlRecord? PendingRecord { get; set; }

        public StoredSecret? Latest { get; set; }

        public string? LatestProblem { get; set; }

        /// <summary>The new key's value: in memory for a vendor key between mint and store; staged in the vault for a generated key.</summary>
        public string? NewValue { get; set; }

        /// <summary>A value to write into the control secret with the next record (a staged key, or the empty marker).</summary>
        public string? StageValue { get; set; }

        public IReadOnlyList<ProbeObservation> LastObservations { get; set; } = [];
    }
}

/// <summary>The gates' stability timers, in memory on purpose (DESIGN.md): a restart restarts them, which is safe.</summary>
internal sealed class GateMemory
{
    private readonly ConcurrentDictionary<(string Key, string Rotation, GateKind Kind), GateState> states = new();

    public GateState Observe(string key, string rotation, GateKind kind, bool passes, DateTimeOffset now) =>
        states.AddOrUpdate((key, rotation, kind), _ => Gate.Observe(GateState.Closed, passes, now), (_, state) => Gate.Observe(state, passes, now));

    public void Forget(string key, string rotation, GateKind kind) => states.TryRemove((key, rotation, kind), out _);
}

/// <summary>This worker instance's id, written as the lease holder of every record it writes.</summary>
internal sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}
