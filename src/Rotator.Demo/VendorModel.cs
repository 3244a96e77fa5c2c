namespace Rotator.Demo;

/// <summary>A management operation of the sample vendor.</summary>
public enum VendorOperation
{
    Create,
    Revoke,
    List,
}

/// <summary>A write the vendor accepted and committed, reported before its response is sent.</summary>
public sealed record VendorWrite(VendorOperation Operation, string Account, string KeyId, string Label);

/// <summary>What the vendor knows about one key; never the key itself.</summary>
public sealed record VendorKeyState(
    string Id,
    string Label,
    string Fingerprint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    bool Revoked,
    DateTimeOffset? RevokedAt,
    long AcceptedCalls,
    long RejectedCalls);
