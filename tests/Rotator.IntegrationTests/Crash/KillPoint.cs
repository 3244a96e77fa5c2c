namespace Rotator.IntegrationTests.Crash;

/// <summary>Where the key comes from: a vendor's API (the sample vendor) or Rotator itself (checked by the sample verifier).</summary>
public enum IssuerKind
{
    Http,
    Generated,
}

/// <summary>
/// A write of the rotation protocol, named by what it records. Each is committed by the vault or the vendor before
/// the worker hears the answer, so a kill there leaves the write done and the worker unaware of it.
/// </summary>
public enum KillPoint
{
    /// <summary>The write-ahead record of a scheduled rotation: the control secret with phase Intent.</summary>
    Intent,

    /// <summary>The issuer create: the vendor's new key, or for a generated key the control secret's staged value (phase Minted).</summary>
    Create,

    /// <summary>Vendor keys: the control record with phase Minted (after the vendor create).</summary>
    MintedRecord,

    /// <summary>Generated keys: the new key's hash added to <c>&lt;secret&gt;-accepted</c> (the verifier gate's bookkeeping).</summary>
    AcceptedAdd,

    /// <summary>The <c>set</c> of the managed secret: the new key as the latest version.</summary>
    Set,

    /// <summary>The control record with phase Stored.</summary>
    StoredRecord,

    /// <summary>The control record with phase RollingOut (the caller gate's bookkeeping).</summary>
    RollingOutRecord,

    /// <summary>The control record with phase Revoking (the caller gate opened).</summary>
    RevokingRecord,

    /// <summary>The revoke: the vendor's revoke of the old key, or the old hash removed from <c>&lt;secret&gt;-accepted</c>.</summary>
    Revoke,

    /// <summary>The record of completion: the control record with phase Completed.</summary>
    CompletedRecord,

    /// <summary>Anything else: cleanup on resume (orphans revoked, stale hashes removed), attempts and errors recorded.</summary>
    Other,
}

internal static class KillPoints
{
    /// <summary>The writes of one rotation, in order, for each issuer.</summary>
    public static IReadOnlyList<KillPoint> Of(IssuerKind issuer) => issuer == IssuerKind.Http
        ? [KillPoint.Intent, KillPoint.Create, KillPoint.MintedRecord, KillPoint.Set, KillPoint.StoredRecord, KillPoint.RollingOutRecord, KillPoint.RevokingRecord, KillPoint.Revoke, KillPoint.CompletedRecord]
        : [KillPoint.Intent, KillPoint.Create, KillPoint.AcceptedAdd, KillPoint.Set, KillPoint.StoredRecord, KillPoint.RollingOutRecord, KillPoint.RevokingRecord, KillPoint.Revoke, KillPoint.CompletedRecord];
}
