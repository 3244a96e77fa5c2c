using Rotator.Client;
using Rotator.Configuration;
using Rotator.Issuers;
using Rotator.Vault;

namespace Rotator.Rotation;

/// <summary>The steps for keys a vendor issues: mint, store, revoke.</summary>
internal sealed partial class RotationExecutor
{
    /// <summary>Intent → Minted: clean up a "maybe minted" key, check the account's room, mint, verify.</summary>
    private async Task<(RotationEvent, string?)> MintAsync(Run run, CancellationToken cancellationToken)
    {
        var key = run.Key;
        var rotation = run.Record.RotationId!;
        var issuer = issuers.Create(key);
        var active = await ListOrExplainAsync(issuer, key, rotation, cancellationToken);

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
            if (await AdoptAsync(issuer, key, cancellationToken, active) is not { } id)
            {
                return (RotationEvent.Unsafe, $"Cannot tell which of the active keys in account '{key.Issuer.Http.Account}' is the current one of '{key.Secret}'. Set Issuer.Http.CurrentKeyId to its id, or revoke the keys nobody uses at the vendor, then resume.");
            }

            run.Record = run.Record with { OldKey = adopted with { IssuerId = id } };
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
            foreach (var orphan in (await ListOrExplainAsync(issuer, key, rotation, cancellationToken)).Where(k => k.Label == rotation))
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

        await StoreAsync(run, run.NewValue, run.Record.NewKey?.IssuerId, run.Record.RotationId!, cancellationToken);
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

    /// <summary>
    /// Lists the account. A vendor that cannot list (a permanent refusal) leaves Rotator unable to tell whether a lost
    /// create minted a key, so the message says what a person must clean up.
    /// </summary>
    private static async Task<IReadOnlyList<IssuerKey>> ListOrExplainAsync(IKeyIssuer issuer, ManagedKeyOptions key, string rotation, CancellationToken cancellationToken)
    {
        try
        {
            return await issuer.ListAsync(cancellationToken);
        }
        catch (IssuerException e) when (e.Failure == IssuerFailure.Permanent)
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{e.Message} Rotator cannot list the keys of account '{key.Issuer.Http.Account}', so it cannot tell whether a key labelled '{rotation}' was minted. At the vendor, revoke any key labelled '{rotation}', fix the list operation's configuration or permissions, then resume.", e);
        }
    }

    /// <summary>
    /// Giving up between mint and store must not leave a key nobody holds: revoke what this rotation minted at the vendor,
    /// best effort, and say so in the record. Generated keys keep theirs staged in the control secret.
    /// </summary>
    private async Task<string> RevokeOrphansAsync(Run run, CancellationToken cancellationToken)
    {
        if (run.Key.Issuer.Kind != IssuerType.Http || run.Record.Phase is not (Phase.Intent or Phase.Minted) || run.Record.RotationId is not { } rotation)
        {
            return "";
        }

        try
        {
            var issuer = issuers.Create(run.Key);
            if (await FindStoredVersionAsync(run, rotation, cancellationToken) is not null)
            {
                return "";
            }

            var orphans = (await issuer.ListAsync(cancellationToken)).Where(k => k.Label == rotation).ToList();
            foreach (var orphan in orphans)
            {
                await issuer.RevokeAsync(orphan.Id, cancellationToken);
                RotationLog.OrphanRevoked(logger, run.Key.Name, rotation, orphan.Id);
            }

            return orphans.Count == 0 ? "" : $"; revoked {orphans.Count} key(s) it had minted but not stored";
        }
        catch (Exception e) when (e is IssuerException or VaultException)
        {
            return $"; could not revoke what it may have minted ({e.Message}): check the vendor for keys labelled '{rotation}'";
        }
    }

    /// <summary>The id of the account's only active key that no other managed key claims, or null when that is not exactly one.</summary>
    private async Task<string?> AdoptAsync(IKeyIssuer issuer, ManagedKeyOptions key, CancellationToken cancellationToken, IReadOnlyList<IssuerKey>? active = null)
    {
        active ??= await issuer.ListAsync(cancellationToken);
        var claimed = await ClaimedElsewhereAsync(key, cancellationToken);
        var unclaimed = active.Where(k => !claimed.Contains(k.Id)).ToList();
        return unclaimed.Count == 1 ? unclaimed[0].Id : null;
    }

    /// <summary>Issuer ids that other managed keys sharing this account hold as their current or new key.</summary>
    private async Task<HashSet<string>> ClaimedElsewhereAsync(ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in Options.Keys.Where(k => k != key && k.Issuer.Kind == IssuerType.Http
            && k.Issuer.Http.Account == key.Issuer.Http.Account && k.Issuer.Http.BaseUrl == key.Issuer.Http.BaseUrl))
        {
            if ((await vault.GetAsync(other.Secret, null, cancellationToken))?.Tags.GetValueOrDefault(VersionTags.KeyId) is { } current)
            {
                claimed.Add(current);
            }

            if ((await vault.GetAsync(SecretNames.Control(other.Secret), null, cancellationToken)) is { } control
                && ControlRecord.FromTags(control.Tags).NewKey?.IssuerId is { } minted)
            {
                claimed.Add(minted);
            }
        }

        return claimed;
    }
}
