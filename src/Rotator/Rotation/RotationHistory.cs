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

    /// <summary>
    /// Pure: the history in the versions' tags. Each rotation begins a new control version, so the last version carrying
    /// a rotation id holds that rotation's final record; the managed version tagged with the id says what it stored.
    /// </summary>
    public static IReadOnlyList<RotationHistoryEntry> Rebuild(IReadOnlyList<StoredSecret> control, IReadOnlyList<StoredSecret> stored)
    {
        var versions = stored
            .Where(v => v.Tags.ContainsKey(VersionTags.Rotation))
            .GroupBy(v => v.Tags[VersionTags.Rotation], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.CreatedOn).First(), StringComparer.Ordinal);
        var records = control
            .Select(v => (Version: v, Record: ControlRecord.FromTags(v.Tags)))
            .Where(r => r.Record.RotationId is not null)
            .GroupBy(r => r.Record.RotationId!, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => r.Version.CreatedOn).Last())
            .OrderByDescending(r => r.Version.CreatedOn)
            .ToList();
        return [.. records.Select((r, i) => Entry(r.Record, r.Version, versions.GetValueOrDefault(r.Record.RotationId!), latest: i == 0))];
    }

    private static RotationHistoryEntry Entry(ControlRecord record, StoredSecret controlVersion, StoredSecret? storedVersion, bool latest)
    {
        var outcome = record.Phase switch
        {
            Phase.Completed => "Completed",
            Phase.Idle => "Aborted",
            Phase.NeedsAttention => "NeedsAttention",
            Phase.Stalled => "Stalled",
            _ => latest ? "InProgress" : "Superseded",
        };
        var ended = record.Phase is Phase.Completed or Phase.Idle && record.Steps.Count > 0 ? record.Steps[^1].At : (DateTimeOffset?)null;
        return new RotationHistoryEntry(
            record.RotationId!,
            record.Trigger,
            record.Actor,
            record.Note,
            outcome,
            record.Steps.Count > 0 ? record.Steps[0].At : controlVersion.CreatedOn,
            ended,
            record.OldKey?.Fingerprint,
            record.NewKey?.Fingerprint,
            storedVersion?.Version,
            record.Error,
            record.Steps);
    }
}
