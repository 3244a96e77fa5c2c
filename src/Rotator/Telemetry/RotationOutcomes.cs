using System.Collections.Concurrent;
using System.Globalization;
using Rotator.Rotation;

namespace Rotator.Telemetry;

/// <summary>What a rotation came to: what metrics count and webhooks announce.</summary>
public enum OutcomeKind
{
    /// <summary>The old key was revoked: the rotation is done.</summary>
    Completed,

    /// <summary>The rollout gate timed out: consumers have not switched; the old key stays active.</summary>
    Stalled,

    /// <summary>
    /// An execution of the key's job could not run its step: an exception escaped the executor, or the key's record
    /// could not be read or written in the vault. Once per streak: the next execution that reads its record ends it.
    /// </summary>
    Failed,

    /// <summary>The key went to NeedsAttention, for whatever cause (unsafe evidence, attempts exhausted, a second worker).</summary>
    NeedsAttention,

    /// <summary>An operator's abort finished: the key is back to Idle, paused.</summary>
    Aborted,

    /// <summary>An emergency rotation began (or an emergency was declared on the rotation in flight).</summary>
    Emergency,
}

/// <summary>One outcome of one key's rotation. Fingerprints, ids and names only: never a key.</summary>
public sealed record RotationOutcome(
    OutcomeKind Kind,
    string Key,
    string? RotationId,
    Phase Phase,
    RotationTrigger Trigger,
    string Actor,
    string? Fingerprint,
    string? OldFingerprint,
    string? Error,
    RotationEvent? Cause,
    DateTimeOffset At);

/// <summary>The decisions, as pure functions over what the executor publishes.</summary>
public static class Outcomes
{
    /// <summary>The name in metrics labels, webhook bodies and the <c>Rotator:Webhook:Events</c> filter.</summary>
    public static string WireName(this OutcomeKind kind) => kind switch
    {
        OutcomeKind.NeedsAttention => "needs_attention",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static IReadOnlyList<string> WireNames { get; } = [.. Enum.GetValues<OutcomeKind>().Select(WireName)];

    public static OutcomeKind? Parse(string? name) =>
        Enum.GetValues<OutcomeKind>().Where(k => string.Equals(k.WireName(), name?.Trim(), StringComparison.OrdinalIgnoreCase)).Select(k => (OutcomeKind?)k).FirstOrDefault();

    /// <summary>The actor a record names: the operator who started or last steered it, or the schedule.</summary>
    public static string ActorOf(ControlRecord record) => record.Actor ?? "schedule";

    /// <summary>What a recorded phase change means, if anything worth counting or announcing.</summary>
    public static OutcomeKind? Classify(RotationTransition t) => t switch
    {
        { To: Phase.Completed } => OutcomeKind.Completed,
        { To: Phase.Stalled } => OutcomeKind.Stalled,
        { To: Phase.NeedsAttention } => OutcomeKind.NeedsAttention,
        { From: Phase.Aborting, To: Phase.Idle } => OutcomeKind.Aborted,
        { Cause: RotationEvent.EmergencyRevoke } => OutcomeKind.Emergency,
        { To: Phase.Intent, Record.Trigger: RotationTrigger.Emergency } when t.From.IsAtRest() => OutcomeKind.Emergency,
        _ => null,
    };

    public static RotationOutcome From(OutcomeKind kind, RotationTransition t) => new(
        kind, t.Key, t.Record.RotationId, t.To, t.Record.Trigger, ActorOf(t.Record), t.Record.NewKey?.Fingerprint, t.Record.OldKey?.Fingerprint, t.Error ?? t.Record.Error, t.Cause, t.At);

    /// <summary>An execution that could not run its step: an error and no record (the job threw, or the vault could not be read or written).</summary>
    public static bool IsFailure(ExecutionResult result) => result.Record is null && result.Error is not null;

    /// <summary>
    /// An emergency declared on a rotation in flight that kept its phase (suspecting the old key): no transition
    /// tells of it, the execution's request and record do.
    /// </summary>
    public static bool IsEmergencyInFlight(ExecutionResult result) =>
        result is { Request.Action: OperatorAction.Emergency, Refused: null, Record: { Trigger: RotationTrigger.Emergency, Emergency: not null } record }
        && record.Phase.IsInFlight();

    /// <summary>When rotation <paramref name="rotationId"/> began, from the time its id carries (<c>rYYYYMMDDHHMMSS-…</c>, UTC).</summary>
    public static DateTimeOffset? StartOf(string? rotationId) =>
        rotationId is { Length: >= 15 } && rotationId[0] == 'r'
        && DateTimeOffset.TryParseExact(rotationId.AsSpan(1, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start)
            ? start
            : null;
}

/// <summary>
/// Turns the executor's transitions and executions into <see cref="RotationOutcome"/>s, once each: what metrics and
/// webhooks subscribe to. Handlers run on the executing thread, so they must be quick and never block.
/// </summary>
internal sealed class RotationOutcomes
{
    private readonly ConcurrentDictionary<string, bool> failing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> emergencies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string RotationId, DateTimeOffset At)> starts = new(StringComparer.Ordinal);
    private readonly KeyStates states;
    private readonly TimeProvider time;

    public RotationOutcomes(RotationObserver observer, KeyStates states, TimeProvider time)
    {
        this.states = states;
        this.time = time;
        observer.Transitioned += OnTransition;
        observer.Executed += OnExecuted;
    }

    public event Action<RotationOutcome>? Happened;

    /// <summary>When the key's rotation began: seen by this process, else the time in its id.</summary>
    public DateTimeOffset? StartOf(string key, string? rotationId) =>
        starts.TryGetValue(key, out var start) && start.RotationId == rotationId ? start.At : Outcomes.StartOf(rotationId);

    private void OnTransition(RotationTransition t)
    {
        if (t.Record.RotationId is { } id && t.To == Phase.Intent && (t.From.IsAtRest() || t.Cause == RotationEvent.EmergencyRevoke))
        {
            starts[t.Key] = (id, t.At);
        }

        if (Outcomes.Classify(t) is { } kind && (kind != OutcomeKind.Emergency || FirstEmergency(t.Key, t.Record)))
        {
            Happened?.Invoke(Outcomes.From(kind, t));
        }
    }

    private void OnExecuted(string key, ExecutionResult result)
    {
        if (Outcomes.IsFailure(result))
        {
            if (failing.TryAdd(key, true))
            {
                var record = states.Get(key)?.Record ?? new ControlRecord();
                Happened?.Invoke(new RotationOutcome(
                    OutcomeKind.Failed, key, result.RotationId ?? record.RotationId, result.Phase, record.Trigger, Outcomes.ActorOf(record),
                    record.NewKey?.Fingerprint, record.OldKey?.Fingerprint, result.Error, null, time.GetUtcNow()));
            }

            return;
        }

        failing.TryRemove(key, out _);
        if (Outcomes.IsEmergencyInFlight(result) && result.Record is { } declared && FirstEmergency(key, declared))
        {
            Happened?.Invoke(new RotationOutcome(
                OutcomeKind.Emergency, key, declared.RotationId, declared.Phase, declared.Trigger, Outcomes.ActorOf(declared),
                declared.NewKey?.Fingerprint, declared.OldKey?.Fingerprint, declared.Error, null, time.GetUtcNow()));
        }
    }

    /// <summary>One emergency is announced once, however many transitions and repeated requests tell of it.</summary>
    private bool FirstEmergency(string key, ControlRecord record)
    {
        var id = $"{record.RotationId}|{record.EmergencySince?.ToString("O", CultureInfo.InvariantCulture)}";
        var previous = emergencies.GetValueOrDefault(key);
        emergencies[key] = id;
        return previous != id;
    }
}
