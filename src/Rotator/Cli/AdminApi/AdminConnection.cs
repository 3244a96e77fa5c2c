using Rotator.Configuration;
using Rotator.Vault;

namespace Rotator.Cli.AdminApi;

/// <summary>Where the admin API is and the key to call it with, resolved once per command.</summary>
internal sealed record AdminConnection(Uri Url, string ApiKey)
{
    public const string UrlVariable = "ROTATOR_URL";
    public const string ApiKeyVariable = "ROTATOR_API_KEY";
    public const string DefaultUrl = "http://127.0.0.1:8080";

    // Records print every property; the key must never reach output through ToString.
    public override string ToString() => Url.ToString();

    /// <summary>The option, else the environment variable, else the default; null when the result is not an http(s) URL.</summary>
    public static Uri? ResolveUrl(string? option, Func<string, string?> environment)
    {
        var text = !string.IsNullOrWhiteSpace(option) ? option : environment(UrlVariable);
        text = string.IsNullOrWhiteSpace(text) ? DefaultUrl : text.Trim();
        return Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) ? url : null;
    }
}

/// <summary>The API key, or why none was found. <see cref="Origin"/> says where it came from and is safe to print.</summary>
internal sealed record ApiKeyResolution(string? Key, string Origin)
{
    public override string ToString() => Origin;
}

/// <summary>
/// Finds the admin API key: <c>--api-key</c>, then <c>ROTATOR_API_KEY</c>, then, inside the worker's pod, the vault read
/// with the pod's own identity: the admin key configured for the role the command needs.
/// </summary>
internal static class AdminKeyResolver
{
    /// <summary>Reads a chosen admin key's current value from the vault; null value with a reason when it cannot.</summary>
    public delegate Task<ApiKeyResolution> VaultReader(bool readOnly, CancellationToken cancellationToken);

    public static async Task<ApiKeyResolution> ResolveAsync(
        string? option, Func<string, string?> environment, VaultReader vault, bool readOnly, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return new ApiKeyResolution(option.Trim(), "--api-key");
        }

        if (environment(AdminConnection.ApiKeyVariable) is { } variable && !string.IsNullOrWhiteSpace(variable))
        {
            return new ApiKeyResolution(variable.Trim(), AdminConnection.ApiKeyVariable);
        }

        var fromVault = await vault(readOnly, cancellationToken);
        return fromVault.Key is not null
            ? fromVault
            : new ApiKeyResolution(null, $"No admin API key: pass --api-key KEY or set {AdminConnection.ApiKeyVariable}. (Inside the worker's pod it is read from the vault, but {fromVault.Origin}.)");
    }

    /// <summary>For reading, a Viewer key if one is configured, else an Operator key; for actions, the first Operator key.</summary>
    public static AdminKeyOptions? Choose(IReadOnlyList<AdminKeyOptions> keys, bool readOnly)
    {
        var usable = keys.Where(k => !string.IsNullOrWhiteSpace(k.Secret)).ToList();
        var operatorKey = usable.FirstOrDefault(k => k.Role == AdminRole.Operator);
        return readOnly ? usable.FirstOrDefault(k => k.Role == AdminRole.Viewer) ?? operatorKey : operatorKey;
    }

    /// <summary>The worker's own configuration (appsettings.json, <c>--config</c>, environment, as <c>run</c> reads it) and the vault client it builds.</summary>
    public static VaultReader FromWorkerConfiguration(FileInfo? config) => async (readOnly, cancellationToken) =>
    {
        RotatorOptions options;
        try
        {
            options = WorkerHost.CreateBuilder(config).Configuration.GetSection(RotatorOptions.SectionName).Get<RotatorOptions>() ?? new();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
        {
            return new ApiKeyResolution(null, $"the worker's configuration could not be read ({e.GetType().Name})");
        }

        var role = readOnly ? "Viewer or Operator" : "Operator";
        if (Choose(options.Admin.Keys, readOnly) is not { } key)
        {
            return new ApiKeyResolution(null, $"Rotator:Admin:Keys has no {role} key with a Secret");
        }

        if (options.Vault.Uri is null)
        {
            return new ApiKeyResolution(null, "Rotator:Vault:Uri is not set");
        }

        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

            // Outside a pod a managed identity probe can hang; the operator should hear about the options instead.
            limit.CancelAfter(TimeSpan.FromSeconds(20));
            var store = new KeyVaultStore(SecretClientFactory.Create(options.Vault));
            var secret = await store.GetAsync(key.Secret, null, limit.Token);
            return string.IsNullOrEmpty(secret?.Value)
                ? new ApiKeyResolution(null, $"the vault has no value in secret '{key.Secret}' of admin key '{key.Name}'")
                : new ApiKeyResolution(secret.Value, $"vault secret '{key.Secret}' (admin key '{key.Name}')");
        }
        catch (VaultException e)
        {
            return new ApiKeyResolution(null, $"reading admin key '{key.Name}' failed: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ApiKeyResolution(null, $"reading admin key '{key.Name}' from the vault took too long");
        }
        catch (Exception e) when (e is Azure.Identity.AuthenticationFailedException or Azure.RequestFailedException or IOException or UnauthorizedAccessException
            or InvalidOperationException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            return new ApiKeyResolution(null, $"the vault could not be read with this pod's identity ({e.GetType().Name})");
        }
    };
}
