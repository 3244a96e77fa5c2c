using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task Request_WithoutToken_Answers401WithTheKeyVaultChallenge()
    {
        await using var vault = await TestVault.StartAsync();
        using var http = vault.HttpClient();

        using var response = await http.GetAsync("secrets/k?api-version=2026-04-01");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal(
            "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"",
            challenge.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Put_WithoutValidToken_Answers401AndChangesNothing(string? token)
    {
        await using var vault = await TestVault.StartAsync();
        using var http = vault.HttpClient(token);
        using var body = new StringContent("""{"value":"v"}""", Encoding.UTF8, "application/json");

        using var response = await http.PutAsync("secrets/k?api-version=2026-04-01", body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        Assert.Empty(vault.Server.SecretNames);
    }

    [Fact]
    public async Task Put_WithTokenThatDiffersInOneCharacter_Answers401()
    {
        await using var vault = await TestVault.StartAsync();
        var token = vault.Server.AccessToken;
        var altered = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        using var http = vault.HttpClient(altered);
        using var body = new StringContent("""{"value":"v"}""", Encoding.UTF8, "application/json");

        using var response = await http.PutAsync("secrets/k?api-version=2026-04-01", body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(vault.Server.SecretNames);
    }

    [Fact]
    public async Task SecretClient_WithWrongToken_Fails401Unauthorized()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        var client = vault.ClientWithToken("not-the-token");

        var get = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("k"));
        var set = await Assert.ThrowsAsync<RequestFailedException>(() => client.SetSecretAsync("k", "changed"));

        Assert.Equal(401, get.Status);
        Assert.Equal(401, set.Status);
        Assert.Equal("v", Assert.Single(vault.Server.Snapshot()).Value);
    }

    [Fact]
    public void AccessToken_IsAtLeast32RandomBytesInBase64Url()
    {
        var token = VaultIdentity.CreateToken();

        Assert.Matches("^[A-Za-z0-9_-]{43,}$", token);
        Assert.NotEqual(token, VaultIdentity.CreateToken());
    }

    [Fact]
    public async Task TokenWithoutSet_CanReadButSetFails403Forbidden()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        var reader = vault.ClientWithToken(vault.Server.AddToken("reader", LocalVaultPermission.Get, LocalVaultPermission.List));

        KeyVaultSecret read = await reader.GetSecretAsync("k");
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => reader.SetSecretAsync("k", "changed"));

        Assert.Equal("v", read.Value);
        Assert.Equal(403, failure.Status);
        Assert.Equal("Forbidden", failure.ErrorCode);
        Assert.Contains("does not have secrets set permission", failure.Message, StringComparison.Ordinal);
        Assert.Single(vault.Server.Snapshot());
    }

    [Fact]
    public async Task TokenWithOnlySet_CannotReadUpdateOrList()
    {
        await using var vault = await TestVault.StartAsync();
        var writer = vault.ClientWithToken(vault.Server.AddToken("writer", LocalVaultPermission.Set));

        KeyVaultSecret written = await writer.SetSecretAsync("k", "v");
        var get = await Assert.ThrowsAsync<RequestFailedException>(() => writer.GetSecretAsync("k"));
        var update = await Assert.ThrowsAsync<RequestFailedException>(() => writer.UpdateSecretPropertiesAsync(written.Properties));
        var list = await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (var unused in writer.GetPropertiesOfSecretVersionsAsync("k"))
            {
            }
        });

        Assert.All([get, update, list], f => Assert.Equal(403, f.Status));
        Assert.Contains("secrets get permission", get.Message, StringComparison.Ordinal);
        Assert.Contains("secrets update permission", update.Message, StringComparison.Ordinal);
        Assert.Contains("secrets list permission", list.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretClient_PinnedToAnotherCertificate_IsRefused()
    {
        await using var vault = await TestVault.StartAsync();
        using var other = OtherCertificate();
        var client = LocalVaultConnection.CreateClient(vault.Server.Uri, vault.Server.AccessToken, other, TimeSpan.FromSeconds(30));

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.SetSecretAsync("k", "v"));

        Assert.Equal(0, failure.Status);
        Assert.IsType<HttpRequestException>(failure.InnerException);
        Assert.Empty(vault.Server.SecretNames);
    }

    [Fact]
    public async Task Certificate_NamesLoopbackAndLocalhostAndHasNoPrivateKey()
    {
        await using var vault = await TestVault.StartAsync();
        var certificate = vault.Server.Certificate;

        Assert.False(certificate.HasPrivateKey);
        Assert.Equal("CN=localhost", certificate.Subject);
        Assert.True(certificate.MatchesHostname("127.0.0.1"));
        Assert.True(certificate.MatchesHostname("::1"));
        Assert.True(certificate.MatchesHostname("localhost"));
        Assert.InRange((certificate.NotAfter - certificate.NotBefore).TotalDays, 360, 370);
    }

    private static X509Certificate2 OtherCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var now = TimeProvider.System.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        return X509CertificateLoader.LoadCertificate(created.RawData);
    }
}
