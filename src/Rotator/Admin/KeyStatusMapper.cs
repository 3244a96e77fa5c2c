using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Rotation;
using Rotator.Scheduling;

namespace Rotator.Admin;

/// <summary>A Quartz trigger of a key's job, as status needs it: its name and when it fires next.</summary>
internal readonly record struct PlannedRun(string TriggerName, DateTimeOffset? NextFire);

/// <summary>Builds <see cref="KeyStatus"/> from configuration, the key's last known state and its planned runs. Pure.</summary>
internal static class KeyStatusMapper
{
    public static KeyStatus Map(ManagedKeyOptions key, KeyState? state, IReadOnlyList<PlannedRun> planned, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(planned);
        var record = state?.Record ?? new ControlRecord();
        var current = state?.Current;
        return new KeyStatus(
            key.Name,
            key.Secret,
            key.Issuer.Kind?.ToString() ?? key.Issuer.Type,
            record.Phase,
            record.RotationId,
            record.RotationId is null ? null : record.Trigger,
            record.Actor,
            record.PhaseSince,
            current?.Version,
            current?.Fingerprint,
            current?.CreatedOn is { } created ? Max(now - created, TimeSpan.Zero) : null,
            key.Schedule.MaxAge,
            NextRotation(key, record, planned, now),
            record.Paused,
            record.LastCompleted,
            state?.Error ?? record.Error,
            record.Note,
            record.NewKey?.Fingerprint,
            record.OldKey?.Fingerprint,
            record.Phase.IsInFlight() ? Probes(key, record, state!.Observations) : [],
            state?.ObservedAt);
    }

    /// <summary>
    /// When the key is next due: the earliest planned run that starts a rotation (the cron trigger, or the interval's
    /// due time while the key rests), else the interval counted from the last completion. None while paused or stopped.
    /// </summary>
    public static DateTimeOffset? NextRotation(ManagedKeyOptions key, ControlRecord record, IReadOnlyList<PlannedRun> planned, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(planned);
        if (record.Paused || record.Phase == Phase.NeedsAttention)
        {
            return null;
        }

        // While a rotation is in flight the key's "next" trigger is a gate's poll, not a rotation.
        var atRest = record.Phase.IsAtRest();
        var fires = planned
            .Where(p => p.TriggerName == RotationScheduler.ScheduleTrigger(key.Name).Name || (atRest && p.TriggerName == RotationScheduler.NextTrigger(key.Name).Name))
            .Select(p => p.NextFire)
            .OfType<DateTimeOffset>()
            .ToList();
        if (fires.Count > 0)
        {
            return fires.Min();
        }

        return key.Schedule.Interval is not null && atRest ? Schedules.NextDue(key.Schedule, record.LastCompleted, now) : null;
    }

    /// <summary>What each address reported in the last poll, and whether it is where the gate of the current phase wants it.</summary>
    public static IReadOnlyList<ProbeStatus> Probes(ManagedKeyOptions key, ControlRecord record, IReadOnlyList<ProbeObservation> observations)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(observations);
        return [.. observations.Select(o =>
        {
            var role = IsVerifier(key, o.Target) ? ProbeRole.Verifier : ProbeRole.Consumer;
            var (kind, fingerprint) = Wanted(record, role);
            var switched = fingerprint is not null && Gate.Passes([o], kind, fingerprint);
            return new ProbeStatus(role.ToString().ToLowerInvariant(), o.Target, o.Address, o.Fingerprints, switched, o.Error);
        })];
    }

    /// <summary>The gate each phase waits on, by role (DESIGN.md: the rotation protocol and abort).</summary>
    private static (GateKind Kind, string? Fingerprint) Wanted(ControlRecord record, ProbeRole role) => (record.Phase, role) switch
    {
        (Phase.Revoking, ProbeRole.Verifier) => (GateKind.VerifiersDropOld, record.OldKey?.Fingerprint),
        (Phase.Aborting, ProbeRole.Consumer) => (GateKind.CallersOnNew, record.OldKey?.Fingerprint),
        (Phase.Aborting, ProbeRole.Verifier) => (GateKind.VerifiersDropOld, record.NewKey?.Fingerprint),
        (_, ProbeRole.Verifier) => (GateKind.VerifiersAcceptNew, record.NewKey?.Fingerprint),
        _ => (GateKind.CallersOnNew, record.NewKey?.Fingerprint),
    };

    private static bool IsVerifier(ManagedKeyOptions key, string target) =>
        key.Verifiers.Any(v => v.Url is { } url && (url.ToString() == target || url.OriginalString == target || url.Host == target))
        && !key.Consumers.Any(c => c.Url is { } url && (url.ToString() == target || url.OriginalString == target));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
