using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class ServerTests
{
    [Fact]
    public async Task StartAsync_OnPortZero_ReportsTheActualLoopbackAddress()
    {
        await using var server = await LocalVaultServer.StartAsync(new LocalVaultOptions(), TimeProvider.System, null, CancellationToken.None);

        Assert.Equal("https", server.Uri.Scheme);
        Assert.Equal("127.0.0.1", server.Uri.Host);
        Assert.NotEqual(0, server.Uri.Port);
        Assert.Equal("/", server.Uri.AbsolutePath);
    }

    [Fact]
    public async Task StartAsync_OnLocalhost_ServesTheSdkUnderThatName()
    {
        await using var server = await LocalVaultServer.StartAsync(new LocalVaultOptions { Url = new Uri("https://localhost:0") }, TimeProvider.System, null, CancellationToken.None);
        var client = LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(30));

        KeyVaultSecret written = await client.SetSecretAsync("k", "v");

        Assert.Equal("localhost", server.Uri.Host);
        Assert.Equal("localhost", written.Properties.VaultUri.Host);
    }

    [Fact]
    public async Task StartAsync_WithPlainHttpUrl_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            LocalVaultServer.StartAsync(new LocalVaultOptions { Url = new Uri("http://127.0.0.1:0") }, TimeProvider.System, null, CancellationToken.None));
    }

    [Fact]
    public async Task StopAsync_WithAWriteHeldInTheCommitHook_FinishesPromptly()
    {
        var vault = await TestVault.StartAsync();
        await using (vault)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            vault.Server.AfterCommit = async (_, ct) =>
            {
                reached.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            };
            var held = vault.Client.SetSecretAsync("k", "v");
            await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

            await vault.Server.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

            await Assert.ThrowsAnyAsync<Exception>(() => held);
            Assert.Single(vault.Server.Snapshot());
        }
    }
}
