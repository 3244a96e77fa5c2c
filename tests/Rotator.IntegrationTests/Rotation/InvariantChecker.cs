using Rotator.Client;
using Rotator.Demo;
using Rotator.LocalVault;
using Rotator.Rotation;

namespace Rotator.IntegrationTests.Rotation;

/// <summary>
/// DESIGN.md's invariants 1–4, checked after every change the local vault or the sample vendor accepts (their
/// commit hooks call it before they answer), not only at the end. Invariant 6 is checked on the outputs by the tests.
/// With <see cref="AtRest"/>, a key whose record says Completed is also checked to be at rest: exactly one active key,
/// the vault's latest, and no rotation id on more than one version of the managed secret.
/// </summary>
internal sealed class InvariantChecker
{
    private readonly LocalVaultServer vault;
    private readonly SampleVendor? vendor;
    private readonly string account;
    private readonly string secret;
    private readonly Func<IEnumerable<string?>> sentFingerprints;
    private readonly Lock gate = new();
    private readonly List<string> violations = [];

    public InvariantChecker(LocalVaultServer vault, SampleVendor? vendor, string account, string secret, Func<IEnumerable<string?>> sentFingerprints)
    {
        this.vault = vault;
        this.vendor = vendor;
        this.account = account;
        this.secret = secret;
        this.sentFingerprints = sentFingerprints;
        vault.AfterCommit = async (write, ct) =>
        {
            Check($"vault {write.Operation} {write.SecretName}", revoked: null);
            if (AfterVaultCheck is { } then)
            {
                await then(write, ct);
            }
        };
        if (vendor is not null)
        {
            vendor.AfterCommit = async (write, ct) =>
            {
                Check($"vendor {write.Operation} {write.KeyId}", write.Operation == VendorOperation.Revoke ? write.KeyId : null);
                if (AfterVendorCheck is { } then)
                {
                    await then(write, ct);
                }
            };
        }
    }

    /// <summary>Also check the state at rest whenever the record says Completed, and that no rotation stored twice.</summary>
    public bool AtRest { get; init; }

    /// <summary>Runs after each vault write has been checked, before the vault answers it.</summary>
    public Func<LocalVaultWrite, CancellationToken, Task>? AfterVaultCheck { get; set; }

    /// <summary>Runs after each vendor write has been checked, before the vendor answers it.</summary>
    public Func<VendorWrite, CancellationToken, Task>? AfterVendorCheck { get; set; }

    public int Checks { get; private set; }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (gate)
            {
                return [.. violations];
            }
        }
    }

    private void Check(string after, string? revoked)
    {
        var snapshot = vault.Snapshot();
        var versions = snapshot.Where(v => v.Name.Equals(secret, StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Sequence).ToList();
        var control = snapshot.Where(v => v.Name.Equals(secret + "-rotator", StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Sequence).LastOrDefault();
        var record = control is null ? new ControlRecord() : ControlRecord.FromTags(control.Tags);
        var stored = versions.Select(v => Fingerprint.Of(v.Value)).ToHashSet();
        var found = new List<string>();

        if (vendor is not null)
        {
            var keys = vendor.Keys(account);
            var active = keys.Where(k => !k.Revoked).ToList();

            // 2. Never more than the account's limit.
            if (active.Count > vendor.MaxActiveKeys)
            {
                found.Add($"2: {active.Count} active keys, limit {vendor.MaxActiveKeys}");
            }

            // 1. No lost key: a key Rotator minted is in the vault, except in the mint→store window of the rotation in flight.
            var inWindow = record.Phase is Phase.Intent or Phase.Minted;
            foreach (var key in active.Where(k => k.Label.StartsWith('r') && !stored.Contains(k.Fingerprint)))
            {
                if (!(inWindow && key.Label == record.RotationId))
                {
                    found.Add($"1: active key {key.Id} ({key.Label}) is in no vault version (phase {record.Phase})");
                }
            }

            // 4. Latest always works: enabled and active at the issuer.
            if (versions.LastOrDefault() is { } latest)
            {
                if (!latest.Enabled)
                {
                    found.Add($"4: latest version {latest.Version} is disabled");
                }

                if (active.All(k => k.Fingerprint != Fingerprint.Of(latest.Value)))
                {
                    found.Add($"4: latest version {latest.Version} holds a key that is not active at the issuer");
                }
            }

            // 3. No early revoke: a key that was ever current is revoked only when no consumer still sends it.
            if (revoked is not null && keys.FirstOrDefault(k => k.Id == revoked) is { } gone && stored.Contains(gone.Fingerprint))
            {
                if (sentFingerprints().Any(f => f == gone.Fingerprint))
                {
                    found.Add($"3: key {gone.Id} revoked while a consumer still sends it");
                }
            }
        }

        else
        {
            // Generated keys: "active at the issuer" means "its hash is in <secret>-accepted" (DESIGN.md).
            var acceptedDoc = snapshot.Where(v => v.Name.Equals(secret + "-accepted", StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Sequence).LastOrDefault();
            var accepted = acceptedDoc is null ? AcceptedKeys.Empty : AcceptedKeys.Parse(acceptedDoc.Value);
            var staged = control is { Value: not "-" } ? Fingerprint.Of(control.Value) : null;
            foreach (var entry in accepted.Accept.Where(a => !stored.Contains(a.Fingerprint) && a.Fingerprint != staged))
            {
                found.Add($"1: accepted hash {entry.Fingerprint} is neither stored nor staged");
            }

            if (versions.LastOrDefault() is { } latest && !accepted.Accepts(latest.Value))
            {
                found.Add($"4: latest version {latest.Version} holds a key the verifiers are not told to accept");
            }
        }

        if (AtRest)
        {
            found.AddRange(CheckAtRest(snapshot, versions, record));
        }

        lock (gate)
        {
            Checks++;
            violations.AddRange(found.Select(f => $"after {after}: {f}"));
        }
    }

    private IEnumerable<string> CheckAtRest(IReadOnlyList<LocalVaultSecretVersion> snapshot, List<LocalVaultSecretVersion> versions, ControlRecord record)
    {
        foreach (var twice in versions.GroupBy(v => v.Tags.GetValueOrDefault(VersionTags.Rotation)).Where(g => g.Key is not null && g.Count() > 1))
        {
            yield return $"rest: rotation {twice.Key} stored {twice.Count()} versions ({string.Join(", ", twice.Select(v => v.Version))})";
        }

        if (record.Phase != Phase.Completed || versions.LastOrDefault() is not { } latest)
        {
            yield break;
        }

        var current = Fingerprint.Of(latest.Value);
        if (vendor is not null)
        {
            var active = vendor.Keys(account).Where(k => !k.Revoked).ToList();
            if (active.Count != 1 || active[0].Fingerprint != current)
            {
                yield return $"rest: {active.Count} active key(s) ({string.Join(", ", active.Select(k => $"{k.Id} {k.Label} {k.Fingerprint}"))}) after rotation {record.RotationId} completed; the latest version holds {current}";
            }
        }
        else
        {
            var acceptedDoc = snapshot.Where(v => v.Name.Equals(secret + "-accepted", StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Sequence).LastOrDefault();
            var accepted = acceptedDoc is null ? [] : AcceptedKeys.Parse(acceptedDoc.Value).Accept.Select(a => a.Fingerprint).ToList();
            if (accepted.Count != 1 || accepted[0] != current)
            {
                yield return $"rest: {accepted.Count} accepted hash(es) ({string.Join(", ", accepted)}) after rotation {record.RotationId} completed; the latest version holds {current}";
            }
        }
    }
}
