using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Rotator.Configuration;
using Rotator.LocalVault;

namespace Rotator.Vault;

/// <summary>Builds the one <see cref="SecretClient"/> Rotator uses, with the credential that configuration names.</summary>
internal static class SecretClientFactory
{
    public static SecretClient Create(VaultOptions options)
    {
        var uri = options.Uri ?? throw new InvalidOperationException("Rotator:Vault:Uri is not set.");
        if (options.Credential == VaultCredential.LocalVault)
        {
            return LocalVaultConnection.CreateClient(uri, options.LocalVaultData!, options.NetworkTimeout);
        }

        var clientOptions = new SecretClientOptions();

        // Rotator's own policy retries, so that every retry goes through its checks (DESIGN.md); the SDK's would repeat writes blindly.
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        return new SecretClient(uri, Credential(options), clientOptions);
    }

    /// <summary>Exactly the credential configured: a probing chain would hide a misconfigured identity in production.</summary>
    private static TokenCredential Credential(VaultOptions options) => options.Credential switch
    {
        VaultCredential.WorkloadIdentity => new WorkloadIdentityCredential(),
        VaultCredential.ManagedIdentity => string.IsNullOrEmpty(options.ManagedIdentityClientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId)),
        VaultCredential.AzureCli => new AzureCliCredential(),
        _ => throw new InvalidOperationException($"Rotator:Vault:Credential '{options.Credential}' is not supported."),
    };
}
