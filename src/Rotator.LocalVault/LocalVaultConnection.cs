using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault;

/// <summary>Builds a <see cref="SecretClient"/> that talks to a local vault and trusts exactly its certificate.</summary>
public static class LocalVaultConnection
{
    public static SecretClient CreateClient(Uri vaultUri, string accessToken, X509Certificate2 certificate, TimeSpan networkTimeout)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(certificate);

        var pinned = certificate.RawData;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Pinning: the one certificate the vault wrote, byte for byte; nothing else, whatever the chain says.
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned),
            },
        };

        var options = new SecretClientOptions
        {
            // The local vault's challenge names https://vault.azure.net, which does not match 127.0.0.1.
            DisableChallengeResourceVerification = true,
            Transport = new HttpClientTransport(handler),
        };

        // Rotator retries with its own backoff; SDK retries would hide faults and double the waits.
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = networkTimeout;
        return new SecretClient(vaultUri, new StaticTokenCredential(accessToken), options);
    }

    public static SecretClient CreateClient(Uri vaultUri, string dataDirectory, TimeSpan networkTimeout)
    {
        var (token, certificate) = ReadCredentials(dataDirectory);
        return CreateClient(vaultUri, token, certificate, networkTimeout);
    }

    /// <summary>Reads the token and public certificate that a local vault wrote to its data folder.</summary>
    public static (string Token, X509Certificate2 Certificate) ReadCredentials(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var token = File.ReadAllText(Path.Combine(dataDirectory, VaultIdentity.TokenFile)).Trim();
        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataDirectory, VaultIdentity.CertificatePemFile)));
        return (token, certificate);
    }

    /// <summary>Presents the vault's fixed token whatever scope the challenge asks for.</summary>
    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        // The token never expires; an hour ahead keeps the SDK's token cache from refreshing constantly.
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, TimeProvider.System.GetUtcNow().AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
