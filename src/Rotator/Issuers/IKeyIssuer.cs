namespace Rotator.Issuers;

/// <summary>An active key as the issuer lists it: never its value.</summary>
public sealed record IssuerKey(string Id, string? Label, DateTimeOffset? CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A key just minted: its value is shown once.</summary>
public sealed record MintedKey(string Id, string Value)
{
    public override string ToString() => $"MintedKey {{ Id = {Id} }}";
}

/// <summary>A vendor's key-management API. Implementations never put a key value into an exception or a log.</summary>
public interface IKeyIssuer
{
    /// <summary>The account's active keys.</summary>
    Task<IReadOnlyList<IssuerKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Mints a key labelled <paramref name="label"/>. Throws <see cref="IssuerException"/> with
    /// <see cref="IssuerFailure.MaybeMinted"/> when the outcome is unknown (timeout, 5xx, unparseable answer):
    /// the caller resolves it by listing for the label, never by creating again.
    /// </summary>
    Task<MintedKey> CreateAsync(string label, CancellationToken cancellationToken);

    /// <summary>True when the vendor accepts the key (retried for its propagation delay); true when no verify request is configured.</summary>
    Task<bool> VerifyAsync(string key, CancellationToken cancellationToken);

    /// <summary>Revokes a key; a key already gone counts as revoked.</summary>
    Task RevokeAsync(string id, CancellationToken cancellationToken);
}

public enum IssuerFailure
{
    /// <summary>Try again later: throttled, unavailable, timed out (for a read or a revoke).</summary>
    Transient,

    /// <summary>A create whose outcome is unknown.</summary>
    MaybeMinted,

    /// <summary>The issuer refused (4xx other than 408/429), or its answer does not fit the configuration.</summary>
    Permanent,
}

public sealed class IssuerException(IssuerFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public IssuerFailure Failure { get; } = failure;
}
