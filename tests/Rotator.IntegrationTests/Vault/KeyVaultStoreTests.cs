using Rotator.LocalVault;
using Rotator.Vault;

namespace Rotator.IntegrationTests.Vault;

/// <summary>Rotator's vault adapter through the real Azure SDK, over HTTPS, against the local vault.</summary>
public sealed class KeyVaultStoreTests : IAsyncLifetime
{
    private LocalVaultServer server = null!;
    private KeyVaultStore store = null!;

    public async Task InitializeAsync()
    {
        server = await LocalVaultServer.StartAsync(new LocalVaultOptions(), TimeProvider.System, null, CancellationToken.None);
        store = new KeyVaultStore(LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(5)));
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task GetAsync_MissingSecret_IsNull()
    {
        Assert.Null(await store.GetAsync("nothing-here", null, default));
        Assert.Empty(await store.ListVersionsAsync("nothing-here", default));
    }

    [Fact]
    public async Task SetAsync_ThenGet_ReturnsLatestWithTagsAndExpiry()
    {
        var exp = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var first = await store.SetAsync("api-key", "value-1", new Dictionary<string, string> { ["a"] = "1" }, exp, default);
        await store.SetAsync("api-key", "value-2", new Dictionary<string, string> { ["a"] = "2" }, exp, default);

        var latest = await store.GetAsync("API-KEY", null, default);
        var byVersion = await store.GetAsync("api-key", first.Version, default);

        Assert.Equal("value-2", latest!.Value);
        Assert.Equal("2", latest.Tags["a"]);
        Assert.Equal(exp, latest.ExpiresOn);
        Assert.Equal("value-1", byVersion!.Value);
        Assert.Equal(2, (await store.ListVersionsAsync("api-key", default)).Count);
        Assert.All(await store.ListVersionsAsync("api-key", default), v => Assert.Null(v.Value));
    }

    [Fact]
    public async Task UpdateTagsAsync_ReplacesTheWholeSetOfThatVersionOnly()
    {
        var first = await store.SetAsync("ctl", "-", new Dictionary<string, string> { ["old"] = "x" }, null, default);

        await store.UpdateTagsAsync("ctl", first.Version, new Dictionary<string, string> { ["new"] = "y" }, default);

        var latest = await store.GetAsync("ctl", null, default);
        Assert.Equal(new Dictionary<string, string> { ["new"] = "y" }, latest!.Tags);
        Assert.Equal("-", latest.Value);
    }

    [Theory]
    [InlineData(LocalVaultFaultKind.Throttle)]
    [InlineData(LocalVaultFaultKind.Unavailable)]
    public async Task Failures_ThatMayPass_AreTransientAndNameTheSecret(LocalVaultFaultKind kind)
    {
        server.Faults.FailNext(1, kind == LocalVaultFaultKind.Throttle ? LocalVaultFault.Throttle() : LocalVaultFault.Unavailable());

        var e = await Assert.ThrowsAsync<VaultException>(() => store.GetAsync("some-secret", null, default));

        Assert.Equal(VaultFailure.Transient, e.Failure);
        Assert.Contains("some-secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommitThenAbort_IsTransientAndTheWriteHappened()
    {
        server.Faults.FailNext(1, LocalVaultFault.CommitThenAbort());

        var e = await Assert.ThrowsAsync<VaultException>(() => store.SetAsync("maybe", "the-value", new Dictionary<string, string>(), null, default));

        Assert.Equal(VaultFailure.Transient, e.Failure);
        Assert.Equal("the-value", (await store.GetAsync("maybe", null, default))!.Value);
        Assert.DoesNotContain("the-value", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_DisabledLatest_IsDisabled()
    {
        var client = LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(5));
        await store.SetAsync("off", "v", new Dictionary<string, string>(), null, default);
        var properties = (await client.GetSecretAsync("off")).Value.Properties;
        properties.Enabled = false;
        await client.UpdateSecretPropertiesAsync(properties);

        var e = await Assert.ThrowsAsync<VaultException>(() => store.GetAsync("off", null, default));

        Assert.Equal(VaultFailure.Disabled, e.Failure);
    }

    [Fact]
    public async Task SetAsync_WithoutSetPermission_IsPermanentAndSaysWhatToGrant()
    {
        var token = server.AddToken("reader", LocalVaultPermission.Get, LocalVaultPermission.List);
        var reader = new KeyVaultStore(LocalVaultConnection.CreateClient(server.Uri, token, server.Certificate, TimeSpan.FromSeconds(5)));

        var e = await Assert.ThrowsAsync<VaultException>(() => reader.SetAsync("x", "v", new Dictionary<string, string>(), null, default));

        Assert.Equal(VaultFailure.Permanent, e.Failure);
        Assert.Contains("Key Vault Secrets Officer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SoftDeletedSecret_IsSeenAsDeletedAndASetSaysToRecoverOrPurge()
    {
        var client = LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(5));
        await store.SetAsync("gone", "v", new Dictionary<string, string>(), null, default);
        Assert.False(await store.IsDeletedAsync("gone", default));
        await (await client.StartDeleteSecretAsync("gone")).WaitForCompletionAsync();

        Assert.True(await store.IsDeletedAsync("gone", default));
        Assert.Null(await store.GetAsync("gone", null, default));
        var e = await Assert.ThrowsAsync<VaultException>(() => store.SetAsync("gone", "v2", new Dictionary<string, string>(), null, default));
        Assert.Equal(VaultFailure.SoftDeleted, e.Failure);
        Assert.Contains("Recover it or purge it", e.Message, StringComparison.Ordinal);
    }
}
