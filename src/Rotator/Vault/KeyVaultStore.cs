using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.Vault;

/// <summary>
/// <see cref="IVault"/> over the Azure SDK's <see cref="SecretClient"/>, for Azure Key Vault and the local vault alike.
/// Maps the SDK's failures to <see cref="VaultException"/> with messages that name the secret and never a value.
/// </summary>
internal sealed class KeyVaultStore(SecretClient client) : IVault
{
    public async Task<StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetSecretAsync(name, version, cancellationToken);
            var secret = response.Value;
            return ToStored(secret.Properties, secret.Value);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, "get", name);
        }
    }

    public async Task<IReadOnlyList<StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var versions = new List<StoredSecret>();
            await foreach (var properties in client.GetPropertiesOfSecretVersionsAsync(name, cancellationToken))
            {
                versions.Add(ToStored(properties, value: null));
            }

            return versions;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return [];
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, "list the versions of", name);
        }
    }

    public async Task<StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        var secret = new KeyVaultSecret(name, value);
        foreach (var (tag, tagValue) in tags)
        {
            secret.Properties.Tags[tag] = tagValue;
        }

        secret.Properties.ExpiresOn = expiresOn;
        try
        {
            var response = await client.SetSecretAsync(secret, cancellationToken);
            return ToStored(response.Value.Properties, value: null);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, "set", name);
        }
    }

    public async Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        // The id carries the version; the update is a PATCH of that version only.
        var withVersion = new SecretProperties(new Uri(client.VaultUri, $"secrets/{name}/{version}"));
        foreach (var (tag, tagValue) in tags)
        {
            withVersion.Tags[tag] = tagValue;
        }

        try
        {
            await client.UpdateSecretPropertiesAsync(withVersion, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, "update the tags of", name);
        }
    }

    public async Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetDeletedSecretAsync(name, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 403 or 400)
        {
            // Not deleted; or not allowed to look (then a set would meet the 409 instead, which is mapped too).
            return false;
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, "look for a deleted", name);
        }
    }

    private static StoredSecret ToStored(SecretProperties properties, string? value) => new(
        properties.Name,
        properties.Version,
        value,
        new Dictionary<string, string>(properties.Tags, StringComparer.Ordinal),
        properties.Enabled ?? true,
        properties.CreatedOn,
        properties.ExpiresOn);

    private static TimeSpan? RetryAfter(RequestFailedException failed) =>
        failed.GetRawResponse() is { } response && response.Headers.TryGetValue("Retry-After", out var value)
            && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>The SDK's message is kept out: it quotes the response, and a response is no place to trust.</summary>
    private static VaultException Map(Exception e, string operation, string name)
    {
        if (e is not RequestFailedException failed)
        {
            return new VaultException(VaultFailure.Transient, $"Could not {operation} secret '{name}': the vault did not answer ({e.GetType().Name}).", e is TaskCanceledException ? null : e);
        }

        var code = failed.ErrorCode ?? "";
        return failed.Status switch
        {
            0 => new VaultException(VaultFailure.Transient, $"Could not {operation} secret '{name}': the connection to the vault failed; will retry."),
            408 or 429 or >= 500 => new VaultException(VaultFailure.Transient, $"Could not {operation} secret '{name}': the vault answered {failed.Status} {code}; will retry.")
            {
                RetryAfter = RetryAfter(failed),
            },
            403 when code.Contains("Disabled", StringComparison.OrdinalIgnoreCase) || failed.Message.Contains("SecretDisabled", StringComparison.Ordinal) =>
                new VaultException(VaultFailure.Disabled, $"Could not {operation} secret '{name}': its latest version is disabled. Enable it, or write a new enabled version."),
            409 => new VaultException(VaultFailure.SoftDeleted, $"Could not {operation} secret '{name}': it is deleted but recoverable (soft-deleted). Recover it or purge it, then resume."),
            401 or 403 => new VaultException(VaultFailure.Permanent, $"Could not {operation} secret '{name}': the vault refused access ({failed.Status} {code}). Grant Rotator's identity the 'Key Vault Secrets Officer' role on the vault or this secret."),
            _ => new VaultException(VaultFailure.Permanent, $"Could not {operation} secret '{name}': the vault answered {failed.Status} {code}."),
        };
    }
}
