namespace Rotator.LocalVault;

/// <summary>The kind of accepted write.</summary>
public enum LocalVaultWriteOperation
{
    /// <summary>PUT: a new version.</summary>
    Set,

    /// <summary>PATCH: attributes, tags or content type of an existing version.</summary>
    Update,

    /// <summary>DELETE /secrets/{name}: the secret and all its versions moved to the deleted state.</summary>
    Delete,

    /// <summary>POST /deletedsecrets/{name}/recover: a deleted secret brought back with all its versions.</summary>
    Recover,

    /// <summary>DELETE /deletedsecrets/{name}: a deleted secret removed for good.</summary>
    Purge,
}

/// <summary>A write that the vault has committed (and persisted) but not yet answered.</summary>
/// <param name="Operation">Set, update, delete, recover or purge.</param>
/// <param name="SecretName">The secret's name as first spelled.</param>
/// <param name="Version">The version written; for delete, recover and purge the secret's latest version.</param>
/// <param name="Tags">The version's tags after the write.</param>
public sealed record LocalVaultWrite(
    LocalVaultWriteOperation Operation,
    string SecretName,
    string Version,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>One stored secret version, value included, for tests and invariant checks.</summary>
public sealed record LocalVaultSecretVersion(
    string Name,
    string Version,
    long Sequence,
    string Value,
    string? ContentType,
    bool Enabled,
    DateTimeOffset? NotBefore,
    DateTimeOffset? ExpiresOn,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    IReadOnlyDictionary<string, string> Tags);
