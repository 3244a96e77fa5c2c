namespace Rotator.Vault;

/// <summary>One version of a secret. <see cref="Value"/> is null where it was not read (listings).</summary>
public sealed record StoredSecret(
    string Name,
    string Version,
    string? Value,
    IReadOnlyDictionary<string, string> Tags,
    bool Enabled,
    DateTimeOffset? CreatedOn,
    DateTimeOffset? ExpiresOn)
{
    // Records print every property; a secret value must never reach a log through ToString.
    public override string ToString() => $"{Name}/{Version}";
}

/// <summary>
/// The vault as Rotator needs it. One implementation, over the Azure SDK's <c>SecretClient</c>, serves both
/// Azure Key Vault and the embedded local vault. Failures throw <see cref="VaultException"/>.
/// </summary>
public interface IVault
{
    /// <summary>The latest version, or a given one; null when the secret (or version) does not exist.</summary>
    Task<StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken);

    /// <summary>Every version's properties, without values; empty when the secret does not exist.</summary>
    Task<IReadOnlyList<StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken);

    /// <summary>Writes a new version. Not idempotent: callers look for their version before they repeat a set.</summary>
    Task<StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken);

    /// <summary>Replaces the whole tag set of one version (PATCH).</summary>
    Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>Is the secret deleted but recoverable (soft-deleted), so that its name cannot be reused? False when that cannot be told.</summary>
    Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken);
}

public enum VaultFailure
{
    /// <summary>Throttled, unavailable, timed out: try again later.</summary>
    Transient,

    /// <summary>The latest version is disabled.</summary>
    Disabled,

    /// <summary>The secret is deleted but recoverable (soft-deleted): a person must recover or purge it.</summary>
    SoftDeleted,

    /// <summary>Not allowed, or refused as invalid: retrying will not help.</summary>
    Permanent,
}

public sealed class VaultException(VaultFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public VaultFailure Failure { get; } = failure;

    /// <summary>How long the vault asked to be left alone (a 429's Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
