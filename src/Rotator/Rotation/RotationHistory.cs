using Rotator.Configuration;
using Rotator.Vault;

namespace Rotator.Rotation;

/// <summary>One step of a rotation and when it was taken.</summary>
public sealed record RotationStep(Phase Phase, DateTimeOffset At);

/// <summary>One rotation as the vault remembers it: who or what started it, its steps, how it ended.</summary>
/// <param name="Outcome">Completed, Aborted, NeedsAttention, Stalled, or InProgress.</param>
/// <param name="Version">The managed secret's version this rotation stored, if it got that far.</param>
public sealed record RotationHistoryEntry(
    string RotationId,
    RotationTrigger Trigger,
    string? Actor,
    string? Note,
    string Outcome,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    string? OldFingerprint,
    string? NewFingerprint,
    string? Version,
    string? Error,
    IReadOnlyList<RotationStep> Steps);

/// <summary>Rebuilds a key's rotation history from the vault alone: the control secret's versions and the managed secret's versions.</summary>
internal sealed class RotationHistory(IVault vault)
{
    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<RotationHistoryEntry>> ReadAsync(ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        var stored = await vault.ListVersionsAsync(key.Secret, cancellationToken);
        var control = await vault.ListVersionsAsync(SecretNames.Control(key.Secret), cancellationToken);
        return Rebuild(control, stored);
    }

    /// <summary>Pure: the history in the versions' tags.</summary>
    public static IReadOnlyList<RotationHistoryEntry> Rebuild(IReadOnlyList<StoredSecret> control, IReadOnlyList<StoredSecret> stored)
    {
        var versions = stored
            .Where(v => v.Tags.ContainsKey(VersionTags.Rotation))
            .GroupBy(v => v.Tags[VersionTags.Rotation], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.CreatedOn).First(), StringComparer.Ordinal);
        return [.. control
            .Select(v => (Version: v, Record: ControlRecord.FromTags(v.Tags)))
            .Where(r => r.Record.RotationId is not null)
            .GroupBy(r => r.Record.RotationId!, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => r.Version.CreatedOn).Last())
            .Select(r => Entry(r.Record, r.Version, versions.GetValueOrDefault(r.Record.RotationId!)))
            .OrderByDescending(e => e.Started)];
    }

    private static RotationHistoryEntry Entry(ControlRecord record, StoredSecret controlVersion, StoredSecret? storedVersion)
    {
        var steps = new List<RotationStep>();
        if (record.PhaseSince is { } since)
        {
            steps.Add(new RotationStep(record.Phase, since));
        }

        var outcome = record.Phase switch
        {
            Phase.Completed => "Completed",
            Phase.NeedsAttention => "NeedsAttention",
            Phase.Stalled => "Stalled",
            Phase.Idle => "Aborted",
            _ => "InProgress",
        };
        return new RotationHistoryEntry(
            record.RotationId!,
            record.Trigger,
            record.Actor,
            record.Note,
            outcome,
            controlVersion.CreatedOn,
            record.Phase is Phase.Completed or Phase.Idle ? record.PhaseSince : null,
            record.OldKey?.Fingerprint,
            record.NewKey?.Fingerprint,
            storedVersion?.Version,
            record.Error,
            steps);
    }
}
