using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public async Task Restart_WithSameDataFolder_KeepsTokenCertificateAndEverySecret()
    {
        using var folder = new TempDirectory();
        string token;
        byte[] certificate;
        IReadOnlyList<LocalVaultSecretVersion> before;
        await using (var first = await TestVault.StartAsync(folder.Path))
        {
            var secret = new KeyVaultSecret("Api-Key", "one") { Properties = { ContentType = "text/plain" } };
            secret.Properties.Tags["rotator-seq"] = "1";
            var created = (await first.Client.SetSecretAsync(secret)).Value;
            await first.Client.SetSecretAsync("api-key", "two");
            created.Properties.Enabled = false;
            await first.Client.UpdateSecretPropertiesAsync(created.Properties);
            token = first.Server.AccessToken;
            certificate = first.Server.Certificate.RawData;
            before = first.Server.Snapshot();
        }

        await using var second = await TestVault.StartAsync(folder.Path);

        Assert.Equal(token, second.Server.AccessToken);
        Assert.Equal(certificate, second.Server.Certificate.RawData);
        Assert.Equal(["Api-Key"], second.Server.SecretNames);
        Assert.Equal(before.Select(Describe), second.Server.Snapshot().Select(Describe));
        KeyVaultSecret latest = await second.Client.GetSecretAsync("API-KEY");
        Assert.Equal("two", latest.Value);

        // The sequence carries on: a new version is still the latest.
        await second.Client.SetSecretAsync("api-key", "three");
        Assert.Equal("three", (await second.Client.GetSecretAsync("api-key")).Value.Value);
        Assert.Equal(before.Max(v => v.Sequence) + 1, second.Server.Snapshot().Max(v => v.Sequence));
    }

    [Fact]
    public async Task CreateClient_FromDataFolder_ReadsTokenAndCertificateWrittenByTheVault()
    {
        using var folder = new TempDirectory();
        await using var vault = await TestVault.StartAsync(folder.Path);
        await vault.Client.SetSecretAsync("k", "v");

        var client = LocalVaultConnection.CreateClient(vault.Server.Uri, folder.Path, TimeSpan.FromSeconds(30));
        var (token, certificate) = LocalVaultConnection.ReadCredentials(folder.Path);

        Assert.Equal("v", (await client.GetSecretAsync("k")).Value.Value);
        Assert.Equal(vault.Server.AccessToken, token);
        Assert.Equal(vault.Server.Certificate.RawData, certificate.RawData);
        Assert.False(certificate.HasPrivateKey);
    }

    [Fact]
    public async Task DataFolder_Files_AreReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            // Unix file modes only.
            return;
        }

        using var folder = new TempDirectory();
        await using var vault = await TestVault.StartAsync(folder.Path);
        await vault.Client.SetSecretAsync("k", "v");

        foreach (var name in new[] { "token", "cert.pem", "cert.pfx", "vault.json" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder.Path, name)));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder.Path));
    }

    [Fact]
    public async Task EveryAcceptedWrite_IsOnDiskBeforeItsAnswerWithNoTemporaryFilesLeft()
    {
        using var folder = new TempDirectory();
        await using var vault = await TestVault.StartAsync(folder.Path);
        var seen = new List<string>();
        vault.Server.AfterCommit = (write, _) =>
        {
            seen.Add(File.ReadAllText(Path.Combine(folder.Path, "vault.json")));
            return Task.CompletedTask;
        };

        var created = (await vault.Client.SetSecretAsync("k", "first-value")).Value;
        created.Properties.Tags["t"] = "tag-value";
        await vault.Client.UpdateSecretPropertiesAsync(created.Properties);

        Assert.Equal(2, seen.Count);
        Assert.Contains("first-value", seen[0], StringComparison.Ordinal);
        Assert.Contains("tag-value", seen[1], StringComparison.Ordinal);
        Assert.Equal(["cert.pem", "cert.pfx", "token", "vault.json"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RejectedWrite_LeavesNoFileBehind()
    {
        using var folder = new TempDirectory();
        await using var vault = await TestVault.StartAsync(folder.Path);

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => vault.Client.SetSecretAsync("bad_name", "v"));

        Assert.False(File.Exists(Path.Combine(folder.Path, "vault.json")));
    }

    [Fact]
    public async Task WithoutDataFolder_KeepsEverythingInMemory()
    {
        await using var first = await TestVault.StartAsync();
        await first.Client.SetSecretAsync("k", "v");
        await using var second = await TestVault.StartAsync();

        Assert.NotEqual(first.Server.AccessToken, second.Server.AccessToken);
        Assert.NotEqual(first.Server.Certificate.RawData, second.Server.Certificate.RawData);
        Assert.Empty(second.Server.SecretNames);
    }

    private static string Describe(LocalVaultSecretVersion v) =>
        $"{v.Name}|{v.Version}|{v.Sequence}|{v.Value}|{v.ContentType}|{v.Enabled}|{v.NotBefore}|{v.ExpiresOn}|{v.Created}|{v.Updated}|{string.Join(',', v.Tags.Select(t => $"{t.Key}={t.Value}"))}";
}
