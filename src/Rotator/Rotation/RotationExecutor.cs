using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Issuers;
using Rotator.Scheduling;
using Rotator.Vault;

namespace Rotator.Rotation;

/// <summary>Why the executor runs.</summary>
public enum RunReason
{
    /// <summary>The schedule says the key is due.</summary>
    Scheduled,

    /// <summary>An operator asked for something (the request says what).</summary>
    Manual,

    /// <summary>A gate's poll or a retry; continues whatever is in flight.</summary>
    FollowUp,

    /// <summary>The worker started: resume what is in flight, start what is overdue.</summary>
    Startup,
}

/// <summary>The outcome of one execution: the phase it left the key in and when to run again.</summary>
/// <param name="Completed">The record of a rotation that completed during this execution.</param>
/// <param name="RotationId">The rotation in flight (or last run) when the execution ended.</param>
/// <param name="Refused">Why an operator's request was not carried out (for example, a rotation is already running).</param>
/// <param name="Observations">What the consumers (or verifiers) reported in the execution's last gate poll.</param>
/// <param name="Request">The operator's request this execution carried out, if any.</param>
/// <param name="Record">The key's record as this execution left it; null when it could not be read.</param>
/// <param name="Current">The managed secret's latest version as this execution saw it.</param>
public sealed record ExecutionResult(
    Phase Phase,
    DateTimeOffset? RunAgainAt,
    RunReason RunAgainAs,
    string? Error = null,
    ControlRecord? Completed = null,
    string? RotationId = null,
    string? Refused = null,
    IReadOnlyList<ProbeObservation>? Observations = null,
    OperatorRequest? Request = null,
    ControlRecord? Record = null,
    CurrentVersion? Current = null);

/// <summary>The managed secret's latest version, as safe to show: id, fingerprint, creation time.</summary>
public sealed record CurrentVersion(string Version, string? Fingerprint, DateTimeOffset? CreatedOn);

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
    RotationObserver observer,
    ILogger<RotationExecutor> logger)
{
    /// <summary>The control secret's value when no generated key is staged in it.</summary>
    internal const string EmptyControlValue = "-";
    private const int MaxStepsPerRun = 32;

    private RotatorOptions Options => options.CurrentValue;

    private string Me => Options.WorkerId ?? worker.Id;

    public async Task<ExecutionResult> RunAsync(ManagedKeyOptions key, RunReason reason, OperatorRequest? request, CancellationToken cancellationToken)
    {
        var run = new Run(key, request);
        try
        {
            await LoadAsync(run, cancellationToken);
        }
        catch (VaultException e) when (e.Failure == VaultFailure.Transient)
        {
            var retryIn = RetryDelay(1);
            RotationLog.RecordFailed(logger, key.Name, e.Message, retryIn);
            return new ExecutionResult(run.Record.Phase, time.GetUtcNow() + retryIn, reason, e.Message, RotationId: run.Record.RotationId);
        }

        using var scope = Telemetry.RotationScope.Begin(logger, key.Name, run.Record, request);
        (RotationEvent Event, string? Error)? pending = null;
        if (run.Record.Lease is { } lease && lease.HeldByAnotherAt(Me, time.GetUtcNow()) && run.Record.Phase != Phase.NeedsAttention
            && (run.Record.Phase.IsInFlight() || reason is RunReason.Scheduled || request is not null))
        {
            pending = (RotationEvent.Unsafe, TwoWorkers(lease));
            run.AnotherWorker = true;
        }
        else if (request is not null)
        {
            var applied = await ApplyRequestAsync(run, request, cancellationToken);
            if (applied.Result is { } immediate)
            {
                return immediate;
            }

            pending = applied.Event;
        }

        if (pending is null && run.Record.Phase.IsAtRest() && (run.Record.Paused || !IsDue(run, reason)))
        {
            return Rest(run, reason);
        }

        for (var step = 0; step < MaxStepsPerRun; step++)
        {
            var from = run.Record.Phase;
            var counted = false;
            (RotationEvent, string?) outcome;
            if (pending is { } asked)
            {
                outcome = asked;
            }
            else if (from.IsAtRest())
            {
                outcome = await StartAsync(run, reason, cancellationToken);
            }
            else if (CountedBeforeItRuns(run))
            {
                // Write-ahead attempts: each try of a step with side effects is counted before it is made, so a worker
                // that dies during it (a crash loop) uses up its attempts like one that fails cleanly.
                if (run.Record.Attempts >= Options.Retry.MaxAttempts)
                {
                    outcome = (RotationEvent.AttemptsExhausted, $"{run.Record.Error ?? $"the worker died during {from}"} (gave up after {run.Record.Attempts} attempts)");
                }
                else
                {
                    try
                    {
                        await WriteRecordAsync(run, run.Record with { Attempts = run.Record.Attempts + 1 }, cancellationToken, verify: true);
                    }
                    catch (RecordChangedException e)
                    {
                        return await StopForConflictAsync(run, from, e.Message, cancellationToken);
                    }
                    catch (VaultException e) when (e.Failure == VaultFailure.Transient)
                    {
                        var wait = RetryDelay(run.Record.Attempts + 1);
                        RotationLog.RecordFailed(logger, key.Name, e.Message, wait);
                        return Result(run, time.GetUtcNow() + wait, RunReason.FollowUp);
                    }

                    counted = true;
                    outcome = await StepAsync(run, cancellationToken);
                }
            }
            else
            {
                outcome = await StepAsync(run, cancellationToken);
            }

            var (@event, error) = outcome;
            pending = null;
            var decision = RotationDecision.Decide(from, @event, run.Record.Held);
            var attempts = run.Record.Attempts;
            if (decision.CountsAttempt)
            {
                attempts += counted ? 0 : 1;
                if (attempts >= Options.Retry.MaxAttempts)
                {
                    error = $"{error} (gave up after {attempts} attempts)";
                    decision = RotationDecision.Decide(from, RotationEvent.AttemptsExhausted);
                }
            }

            if (decision.Next == Phase.NeedsAttention && decision.Changes(from))
            {
                error += await RevokeOrphansAsync(run, cancellationToken);
            }

            var now = time.GetUtcNow();
            var changed = decision.Changes(from);
            var next = Transition(run, from, decision, attempts, error, now);
            if (changed || next.Attempts != run.Record.Attempts || next.Error != run.Record.Error || next != run.Record || LeaseRunsOut(run.Record, now))
            {
                try
                {
                    await WriteRecordAsync(run, next, cancellationToken, verify: next.Phase != Phase.NeedsAttention);
                }
                catch (RecordChangedException e)
                {
                    return await StopForConflictAsync(run, from, e.Message, cancellationToken);
                }
                catch (VaultException e) when (e.Failure == VaultFailure.Transient)
                {
                    // The transition is not recorded, so it did not happen: the next run repeats this step, whose writes are all checked first.
                    var retryIn = RetryDelay(attempts + 1);
                    RotationLog.RecordFailed(logger, key.Name, e.Message, retryIn);
                    return new ExecutionResult(from, now + retryIn, from.IsAtRest() ? reason : RunReason.FollowUp, e.Message, RotationId: run.Record.RotationId);
                }
            }

            Report(run, from, @event, decision, error);
            if (decision.Next == Phase.NeedsAttention && run.AnotherWorker)
            {
                await InsistOnStopAsync(run, cancellationToken);
            }

            switch (decision.Then)
            {
                case Then.Continue:
                    continue;
                case Then.Poll:
                    return Result(run, now + run.Key.Rollout.PollInterval, RunReason.FollowUp);
                case Then.PollStalled:
                    return Result(run, now + run.Key.Rollout.StalledPollInterval, RunReason.FollowUp);
                case Then.Backoff:
                    var retryIn = RetryDelay(Math.Max(1, next.Attempts));
                    RotationLog.StepFailed(logger, key.Name, next.RotationId, from, next.Attempts, Options.Retry.MaxAttempts, retryIn, error ?? "unknown");

                    // A request that failed before anything was recorded is repeated as it was asked.
                    return from.IsAtRest() && run.Record.Phase.IsAtRest() && request is not null
                        ? Result(run, now + retryIn, reason)
                        : Result(run, now + retryIn, from.IsAtRest() ? reason : RunReason.FollowUp);
                default:
                    return decision.Next == Phase.Completed && decision.Changes(from) ? Rest(run) with { Completed = run.Record } : Rest(run);
            }
        }

        // A bounded loop: a protocol bug must not spin; the follow-up resumes from the recorded phase.
        return Result(run, time.GetUtcNow() + run.Key.Rollout.PollInterval, RunReason.FollowUp);
    }

    /// <summary>The record after a decision: attempts, timers, and what entering the new phase means.</summary>
    private static ControlRecord Transition(Run run, Phase from, Decision decision, int attempts, string? error, DateTimeOffset now)
    {
        var changed = decision.Changes(from);
        var record = run.PendingRecord is { } pending && decision.Next == Phase.Intent ? pending : run.Record;
        run.PendingRecord = null;
        // Failures between mint and store count together: going back and forth between Intent and Minted is no progress.
        var progressed = changed && decision.Next is not (Phase.Intent or Phase.Minted);
        record = record with
        {
            Phase = decision.Next,
            Attempts = progressed ? 0 : attempts,
            PhaseSince = changed ? now : record.PhaseSince ?? now,
            Error = error is null ? (changed ? null : record.Error) : ControlRecord.Truncate(error),
        };

        return decision.Next switch
        {
            Phase.Completed when changed => record with { LastCompleted = now, Emergency = null, EmergencySince = null, Forced = false, Suspects = [] },
            Phase.NeedsAttention when changed => record with { Held = from },
            Phase.Idle when from == Phase.Aborting => record with { Paused = true, Emergency = null, EmergencySince = null, Forced = false, Suspects = [] },
            _ when from == Phase.NeedsAttention && changed => record with { Held = null, Attempts = 0 },
            _ => record,
        };
    }

    private ExecutionResult Result(Run run, DateTimeOffset? at, RunReason @as) =>
        new(run.Record.Phase, at, @as, run.Record.Error, RotationId: run.Record.RotationId, Observations: run.LastObservations, Record: run.Record,
            Current: run.Latest is { } latest ? new CurrentVersion(latest.Version, latest.Tags.GetValueOrDefault(VersionTags.Fingerprint), latest.CreatedOn) : null);

    private ExecutionResult Rest(Run run, RunReason? woken = null)
    {
        var record = run.Record;
        if (record.Phase == Phase.NeedsAttention || record.Paused)
        {
            return Result(run, null, RunReason.Scheduled);
        }

        // Interval schedules come back at their due time; cron schedules have their own Quartz trigger, except that a
        // firing outside the maintenance window comes back at its next opening.
        var due = Schedules.NextRun(run.Key.Schedule, record.LastCompleted, time.GetUtcNow(), woken == RunReason.Scheduled);
        return Result(run, due, RunReason.Scheduled);
    }

    /// <summary>
    /// The steps whose every try is counted before it is made: minting (a crash loop there would mint key after key) and
    /// a vendor revoke. The count is shared by the whole mint→store window, so a store that keeps losing its key counts too.
    /// </summary>
    private static bool CountedBeforeItRuns(Run run) =>
        run.Record.Phase is Phase.Intent || (run.Key.Issuer.Kind == IssuerType.Http && run.Record.Phase is Phase.Revoking);

    private bool IsDue(Run run, RunReason reason) => reason switch
    {
        _ when run.Request is { Action: OperatorAction.Rotate or OperatorAction.Emergency } => true,
        RunReason.Scheduled => Schedules.IsOpen(run.Key.Schedule, time.GetUtcNow()),
        RunReason.Manual => false,
        _ => Schedules.IsIntervalDue(run.Key.Schedule, run.Record.LastCompleted, time.GetUtcNow())
            || (run.Latest is null && run.LatestProblem is null && run.Key.Bootstrap),
    };

    private TimeSpan RetryDelay(int attempt) => Backoff.Delay(attempt, Options.Retry.BaseDelay, Options.Retry.MaxDelay, Random.Shared.NextDouble());

    private void Report(Run run, Phase from, RotationEvent @event, Decision decision, string? error)
    {
        var record = run.Record;
        if (decision.Changes(from))
        {
            RotationLog.Transition(logger, run.Key.Name, record.RotationId, from, decision.Next, @event, record.Trigger, record.Actor ?? "schedule");
            observer.Publish(new RotationTransition(run.Key.Name, from, decision.Next, @event, record, error, time.GetUtcNow()));
        }

        if (decision.Next == Phase.NeedsAttention && decision.Changes(from))
        {
            RotationLog.NeedsAttention(logger, run.Key.Name, record.RotationId, from, error ?? "unknown");
        }

        if (decision.Next == Phase.Completed && decision.Changes(from))
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
        if (run.Record.Phase is Phase.Intent or Phase.Minted && run.Record.Suspects.Count == 0 && run.Record.RotationId is { } rotation
            && await FindStoredVersionAsync(run, rotation, cancellationToken) is { } stored
            && !(run.Record.Lease is { } lease && lease.HeldByAnotherAt(Me, time.GetUtcNow())))
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
    private async Task<(RotationEvent, string?)> StartAsync(Run run, RunReason reason, CancellationToken cancellationToken)
    {
        var key = run.Key;
        if (run.LatestProblem is { } problem)
        {
            return (RotationEvent.Unsafe, problem);
        }

        if (await CheckLeaseAsync(run, cancellationToken) is { } conflict)
        {
            return (RotationEvent.Unsafe, conflict);
        }

        var (current, refusal) = CurrentKey(run);
        if (refusal is not null)
        {
            return (RotationEvent.Unsafe, refusal);
        }

        if (current is null)
        {
            if (!key.Bootstrap)
            {
                return (RotationEvent.Unsafe, $"The managed secret '{key.Secret}' has no version. If this is a new key, set bootstrap: true for it; otherwise check the secret's name (a soft-deleted secret must be recovered first).");
            }

            if (await vault.IsDeletedAsync(key.Secret, cancellationToken))
            {
                return (RotationEvent.Unsafe, $"The managed secret '{key.Secret}' is deleted but recoverable (soft-deleted): its name cannot be reused. Recover it (az keyvault secret recover) or purge it, then resume.");
            }
        }

        var request = run.Request;
        var emergency = request is { Action: OperatorAction.Emergency } ? request.Suspect : (Suspect?)null;
        var trigger = emergency is not null ? RotationTrigger.Emergency
            : current is null ? RotationTrigger.Bootstrap
            : request is not null ? RotationTrigger.Manual
            : RotationTrigger.Schedule;

        // At rest the current key is the newest: suspecting "new" or "all" means revoking it before anything is minted.
        var revokeFirst = emergency is Suspect.New or Suspect.All && current is { } suspected;
        run.PendingRecord = run.Record with
        {
            RotationId = NewRotationId(),
            Trigger = trigger,
            Actor = request?.Actor,
            OldKey = revokeFirst ? null : current,
            NewKey = null,
            Error = null,
            Emergency = emergency,
            EmergencySince = emergency is null ? null : time.GetUtcNow(),
            Forced = false,
            Suspects = revokeFirst ? [current!.Value] : [],
            Note = request?.Describe() ?? run.Record.Note,
        };
        return (RotationEvent.Due, null);
    }

    /// <summary>The key the managed secret holds now, as the record will name it; or why a rotation must not start.</summary>
    private (KeyRef? Current, string? Refusal) CurrentKey(Run run)
    {
        if (run.Latest is not { } latest)
        {
            return (null, null);
        }

        var key = run.Key;
        var tagged = latest.Tags.GetValueOrDefault(VersionTags.Fingerprint);
        var fingerprint = Fingerprint.Of(latest.Value ?? "");
        if (run.Control is not null && run.Record.LastCompleted is not null && tagged is null)
        {
            return (null, $"The latest version {latest.Version} of '{key.Secret}' was not written by Rotator (it has no {VersionTags.Fingerprint} tag). Check who wrote it; if it is the key to keep, tag it or disable it, then resume.");
        }

        if (tagged is not null && tagged != fingerprint)
        {
            return (null, $"The latest version {latest.Version} of '{key.Secret}' holds a key whose fingerprint does not match its {VersionTags.Fingerprint} tag. Check who changed it.");
        }

        return (new KeyRef(fingerprint, latest.Tags.GetValueOrDefault(VersionTags.KeyId) ?? key.Issuer.Http.CurrentKeyId), null);
    }

    private string NewRotationId() =>
        "r" + time.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));

    /// <summary>Runs the step of the current phase and says what happened. Failures become events, never escapes.</summary>
    private async Task<(RotationEvent, string?)> StepAsync(Run run, CancellationToken cancellationToken)
    {
        try
        {
            // Before a side effect, look again; before the first mint of a rotation, look twice: two workers that wrote
            // their intents at the same moment may each see their own record the first time, but not after the other has
            // written what it saw. A gate's poll changes nothing outside, and the record write after it checks anyway.
            var looks = run.Record.Phase switch
            {
                Phase.Intent => 2,
                Phase.Minted or Phase.Revoking or Phase.Aborting => 1,
                _ => 0,
            };
            for (var look = 0; look < looks; look++)
            {
                if (await CheckLeaseAsync(run, cancellationToken) is { } conflict)
                {
                    return (RotationEvent.Unsafe, conflict);
                }
            }

            var generated = run.Key.Issuer.Kind == IssuerType.Generated;
            return run.Record.Phase switch
            {
                Phase.Intent when run.Record.Suspects.Count > 0 => await RevokeSuspectsAsync(run, cancellationToken),
                Phase.Intent => generated ? await StageGeneratedAsync(run, cancellationToken) : await MintAsync(run, cancellationToken),
                Phase.Minted => generated ? await AcceptThenStoreAsync(run, cancellationToken) : await StoreMintedAsync(run, cancellationToken),
                Phase.Stored => (RotationEvent.StepSucceeded, null),
                Phase.RollingOut or Phase.Stalled => await PollCallersAsync(run, cancellationToken),
                Phase.Revoking => generated ? await RemoveOldHashAsync(run, cancellationToken) : await RevokeOldAsync(run, cancellationToken),
                Phase.Aborting => await AbortAsync(run, cancellationToken),
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

    // ---- Shared steps ------------------------------------------------------------------------------------------

    /// <summary>Writes the new key as the managed secret's latest version, unless a version of this rotation is already there.</summary>
    private async Task StoreAsync(Run run, string value, string? issuerId, string rotation, CancellationToken cancellationToken)
    {
        if (await FindStoredVersionAsync(run, rotation, cancellationToken) is not null)
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
        if (issuerId is not null)
        {
            tags[VersionTags.KeyId] = issuerId;
        }

        var stored = await vault.SetAsync(run.Key.Secret, value, tags, Expiry(run), cancellationToken);
        run.Latest = stored with { Value = value, Tags = tags };
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

        // An emergency that suspects the old key trades the gate for a short grace, then revokes whoever still uses it.
        if (gate != RotationEvent.GateOpened && run.Record is { Emergency: Suspect.Old, EmergencySince: { } since }
            && time.GetUtcNow() - since >= run.Key.Rollout.EmergencyGrace)
        {
            var still = Gate.Laggards(run.LastObservations, GateKind.CallersOnNew, fingerprint);
            RotationLog.EmergencyGraceOver(logger, run.Key.Name, run.Record.RotationId, run.Record.OldKey?.Fingerprint, still.Count, Describe(still));
            return (RotationEvent.ForceComplete, null);
        }

        return (gate, null);
    }

    /// <summary>Asks every address once and applies the gate's rules; the stability timer lives in <see cref="GateMemory"/>.</summary>
    private async Task<RotationEvent> PollGateAsync(Run run, IReadOnlyList<ProbeOptions> probes, ProbeRole role, GateKind kind, string fingerprint, CancellationToken cancellationToken)
    {
        var observations = await probe.PollAsync(probes, role, cancellationToken);
        var now = time.GetUtcNow();
        var passes = Gate.Passes(observations, kind, fingerprint);
        var memory = $"{run.Record.RotationId}/{run.Record.Phase}";
        var state = gates.Observe(run.Key.Name, memory, kind, passes, now);
        run.LastObservations = observations;
        if (Gate.IsOpen(state, run.Key.Rollout.StableFor, now))
        {
            gates.Forget(run.Key.Name, memory, kind);
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

    private static string Describe(IReadOnlyList<ProbeObservation> laggards) => laggards.Count == 0 ? "none" : string.Join("; ", laggards.Select(o =>
        $"{o.Target}{(o.Address.Length > 0 ? " at " + o.Address : "")}: {o.Error ?? "reports " + (o.Fingerprints.Count == 0 ? "nothing" : string.Join(",", o.Fingerprints))}"));

    private DateTimeOffset Expiry(Run run) => Schedules.Expiry(run.Key, time.GetUtcNow());

    // ---- The record and its lease ------------------------------------------------------------------------------

    private string TwoWorkers(Lease lease) =>
        $"Another worker ('{lease.Holder}', lease until {lease.Expires:O}) holds this key; this worker is '{Me}'. Two workers on one vault would rotate twice: stop one (or give both the same Rotator:WorkerId if they are one deployment), then resume.";

    /// <summary>
    /// Before a side effect: read the record again after a short random delay. A lease now held by another worker, or a
    /// record that changed under this one, means a second worker: stop rather than act twice.
    /// </summary>
    private async Task<string?> CheckLeaseAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Control is null)
        {
            return null;
        }

        var delay = Options.LeaseCheckDelay * Random.Shared.NextDouble();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, cancellationToken);
        }

        var current = await vault.GetAsync(run.ControlName, null, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var record = ControlRecord.FromTags(current.Tags);
        if (record.Lease is { } lease && lease.HeldByAnotherAt(Me, time.GetUtcNow()))
        {
            run.AnotherWorker = true;
            return TwoWorkers(lease);
        }

        if (record.Phase != run.Record.Phase || record.RotationId != run.Record.RotationId)
        {
            run.AnotherWorker = true;
            return $"The record of '{run.Key.Secret}' changed under this worker ('{Me}'): it says {record.Phase} for rotation {record.RotationId}, this worker expected {run.Record.Phase} for {run.Record.RotationId}. Check for a second worker, then resume.";
        }

        return null;
    }

    private bool LeaseRunsOut(ControlRecord record, DateTimeOffset now) =>
        record.Phase.IsInFlight() && record.Lease is { } lease && lease.Holder == Me && lease.Expires - now < Options.LeaseDuration / 2;

    /// <summary>
    /// Another writer changed the record since this worker last read or wrote it: stop in NeedsAttention rather than
    /// overwrite what the other one recorded (Key Vault has no conditional PATCH, so this is read-then-write).
    /// </summary>
    private async Task<ExecutionResult> StopForConflictAsync(Run run, Phase from, string why, CancellationToken cancellationToken)
    {
        run.AnotherWorker = true;
        why += await RevokeOrphansAsync(run, cancellationToken);
        var stop = run.Record with { Phase = Phase.NeedsAttention, Held = from, Error = ControlRecord.Truncate(why), Attempts = 0 };
        try
        {
            await WriteRecordAsync(run, stop, cancellationToken);
            if (from != Phase.NeedsAttention)
            {
                // Like every recorded step: metrics and webhooks hear of this stop too.
                observer.Publish(new RotationTransition(run.Key.Name, from, Phase.NeedsAttention, RotationEvent.Unsafe, run.Record, why, time.GetUtcNow()));
            }

            await InsistOnStopAsync(run, cancellationToken);
        }
        catch (VaultException e) when (e.Failure == VaultFailure.Transient)
        {
            // The other writer's record stands; this worker does nothing more either way.
            RotationLog.RecordFailed(logger, run.Key.Name, e.Message, TimeSpan.Zero);
        }

        RotationLog.NeedsAttention(logger, run.Key.Name, run.Record.RotationId, from, why);
        return Result(run, null, RunReason.Scheduled);
    }

    /// <summary>
    /// With another worker about, this worker's NeedsAttention may be overwritten by a write the other one began before it
    /// saw it. Look again a few times, a little later each time, and write the stop again if it is gone, so that the other
    /// worker meets it at its next look before a side effect.
    /// </summary>
    private async Task InsistOnStopAsync(Run run, CancellationToken cancellationToken)
    {
        var stop = run.Record;
        for (var look = 1; look <= 3 && Options.LeaseCheckDelay > TimeSpan.Zero; look++)
        {
            await Task.Delay(Options.LeaseCheckDelay * 2 * look, time, cancellationToken);
            if (await vault.GetAsync(run.ControlName, null, cancellationToken) is not { } current || ControlRecord.FromTags(current.Tags).Phase == Phase.NeedsAttention)
            {
                continue;
            }

            run.Control = current;
            await WriteRecordAsync(run, stop, cancellationToken);
        }
    }

    /// <summary>Writes the record: a PATCH of the control secret's tags, or a new version when its staged value changes or a rotation begins.</summary>
    /// <param name="verify">Read the record first and refuse to write if someone else changed it since this worker saw it.</param>
    private async Task WriteRecordAsync(Run run, ControlRecord record, CancellationToken cancellationToken, bool verify = false)
    {
        if (verify && run.Control is not null && await vault.GetAsync(run.ControlName, null, cancellationToken) is { } current
            && (current.Version != run.Control.Version || !SameTags(current.Tags, run.Control.Tags)))
        {
            var theirs = ControlRecord.FromTags(current.Tags);
            throw new RecordChangedException(theirs.Lease is { } lease && lease.Holder != Me
                ? TwoWorkers(lease)
                : $"The record of '{run.Key.Secret}' changed under this worker ('{Me}'): it now says {theirs.Phase} for rotation {theirs.RotationId}. Check for a second worker, then resume.");
        }

        // Every phase entered is a step of the rotation's history, whichever path wrote it; a new rotation starts a new list.
        var now = time.GetUtcNow();
        var newRotation = record.RotationId is not null && record.RotationId != run.Record.RotationId;
        if (newRotation || record.Phase != run.Record.Phase)
        {
            record = record.Step(record.Phase, now, newRotation);
        }

        record = record with { Lease = new Lease(Me, now + Options.LeaseDuration) };
        var tags = record.ToTags();
        // A new rotation starts a new version of the control secret, so the previous version keeps the last record of the
        // rotation before it: the vault holds the history, one version per rotation.
        if (run.Control is null || run.StageValue is not null || newRotation)
        {
            var value = run.StageValue ?? run.Control?.Value ?? EmptyControlValue;
            var written = await vault.SetAsync(run.ControlName, value, tags, null, cancellationToken);
            run.Control = written with { Value = value, Tags = tags };
        }
        else
        {
            await vault.UpdateTagsAsync(run.ControlName, run.Control.Version, tags, cancellationToken);
            run.Control = run.Control with { Tags = tags };
        }

        run.StageValue = null;
        run.Record = record;
    }

    private static bool SameTags(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(t => b.TryGetValue(t.Key, out var value) && value == t.Value);

    /// <summary>The record was changed by another writer between this worker's read and its write.</summary>
    private sealed class RecordChangedException(string message) : Exception(message);

    /// <summary>What one execution knows about its key. Lives for one execution only: the vault is the system of record.</summary>
    private sealed class Run(ManagedKeyOptions key, OperatorRequest? request)
    {
        public ManagedKeyOptions Key { get; } = key;

        public OperatorRequest? Request { get; } = request;

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

        /// <summary>This execution met another worker's lease or record.</summary>
        public bool AnotherWorker { get; set; }
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

/// <summary>This worker's default name in leases: the machine's (a pod's name in Kubernetes).</summary>
internal sealed class WorkerIdentity
{
    public string Id { get; } = Environment.MachineName;
}
