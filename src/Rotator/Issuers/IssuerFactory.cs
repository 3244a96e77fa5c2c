using Rotator.Configuration;
using Rotator.Issuers.Http;
using Rotator.Vault;

namespace Rotator.Issuers;

/// <summary>Builds the vendor issuer of a managed key. Generated keys have no vendor: the executor handles them.</summary>
public interface IIssuerFactory
{
    IKeyIssuer Create(ManagedKeyOptions key);
}

internal sealed class IssuerFactory(IHttpClientFactory httpClients, IVault vault, TimeProvider time, ILoggerFactory loggers) : IIssuerFactory
{
    public const string HttpClientName = "issuer";

    public IKeyIssuer Create(ManagedKeyOptions key)
    {
        var options = key.Issuer.Http;
        return new HttpKeyIssuer(
            options,
            key.Name,
            httpClients.CreateClient(HttpClientName),
            async ct => (await vault.GetAsync(options.CredentialSecret, null, ct))?.Value
                ?? throw new IssuerException(IssuerFailure.Permanent, $"Key {key.Name}: the management credential secret '{options.CredentialSecret}' does not exist in the vault. Create it with the vendor's management token."),
            time,
            loggers.CreateLogger<HttpKeyIssuer>());
    }
}
