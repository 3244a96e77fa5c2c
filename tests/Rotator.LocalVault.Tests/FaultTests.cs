using System.Diagnostics;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Throttle_WithRetryAfter_Reaches429TheCallerWithTheHeader()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        vault.Server.Faults.FailNext(1, LocalVaultFault.Throttle(TimeSpan.FromSeconds(7)));

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k"));

        Assert.Equal(429, failure.Status);
        Assert.Equal("Throttled", failure.ErrorCode);
        Assert.Equal("7", failure.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter) ? retryAfter : null);
        Assert.Equal("v", (await vault.Client.GetSecretAsync("k")).Value.Value);
    }

    [Fact]
    public async Task Throttle_WithoutRetryAfter_Reaches429WithoutTheHeaderAndChangesNothing()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        vault.Server.Faults.FailNext(2, LocalVaultFault.Throttle());

        var first = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", "changed"));
        var second = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", "changed"));

        Assert.All([first, second], f => Assert.Equal(429, f.Status));
        Assert.False(first.GetRawResponse()!.Headers.TryGetValue("Retry-After", out _));
        Assert.Single(vault.Server.Snapshot());
        Assert.Equal(2, vault.Server.Faults.Injected);
        await vault.Client.SetSecretAsync("k", "changed");
        Assert.Equal(2, vault.Server.Snapshot().Count);
    }

    [Fact]
    public async Task Unavailable_Reaches503TheCaller()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.Unavailable());

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", "v"));

        Assert.Equal(503, failure.Status);
        Assert.Empty(vault.Server.SecretNames);
    }

    [Fact]
    public async Task Faults_AreNotUsedUpByTheUnauthenticatedChallengeRequest()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.Unavailable());

        // A fresh client first sends a request without a token; the fault must hit the real one.
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k"));

        Assert.Equal(503, failure.Status);
        Assert.Equal(0, vault.Server.Faults.Pending);
    }

    [Fact]
    public async Task WriteFault_WaitsForAWriteWhileReadsPass()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        vault.Server.Faults.FailNext(1, LocalVaultFault.Unavailable() with { Target = LocalVaultFaultTarget.Writes });

        await vault.Client.GetSecretAsync("k");
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", "w"));

        Assert.Equal(503, failure.Status);
    }

    [Fact]
    public async Task Delay_HoldsTheRequestThenServesIt()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.Delayed(TimeSpan.FromMilliseconds(300)));
        var clock = Stopwatch.StartNew();

        KeyVaultSecret written = await vault.Client.SetSecretAsync("k", "v");

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), clock.Elapsed.ToString());
        Assert.Equal("v", written.Value);
    }

    [Fact]
    public async Task Delay_LongerThanTheClientTimeout_TimesTheClientOut()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.Delayed(TimeSpan.FromSeconds(30)));
        var client = LocalVaultConnection.CreateClient(vault.Server.Uri, vault.Server.AccessToken, vault.Server.Certificate, TimeSpan.FromMilliseconds(300));

        // The SDK reports its network timeout as a cancellation, not as a RequestFailedException.
        var failure = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetSecretAsync("k"));

        Assert.Contains("NetworkTimeout", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommitThenUnavailable_Answers503ButTheVersionIsCommitted()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.CommitThenUnavailable());

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", "committed"));

        Assert.Equal(503, failure.Status);
        Assert.Equal("committed", (await vault.Client.GetSecretAsync("k")).Value.Value);
    }

    [Fact]
    public async Task CommitThenAbort_DropsTheConnectionButTheUpdateIsCommitted()
    {
        await using var vault = await TestVault.StartAsync();
        var created = (await vault.Client.SetSecretAsync("k", "v")).Value;
        vault.Server.Faults.FailNext(1, LocalVaultFault.CommitThenAbort());
        created.Properties.Tags["phase"] = "Revoking";

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.UpdateSecretPropertiesAsync(created.Properties));

        Assert.Equal(0, failure.Status);
        Assert.Equal("Revoking", (await vault.Client.GetSecretAsync("k")).Value.Properties.Tags["phase"]);
    }

    [Fact]
    public async Task CommitFault_IsNotUsedByARejectedRead()
    {
        await using var vault = await TestVault.StartAsync();
        vault.Server.Faults.FailNext(1, LocalVaultFault.CommitThenUnavailable());

        await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("missing"));

        Assert.Equal(1, vault.Server.Faults.Pending);
    }

    [Fact]
    public async Task FailRandomly_WithTheSameSeed_FailsTheSameRequests()
    {
        var outcomes = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            await using var vault = await TestVault.StartAsync();
            await vault.Client.SetSecretAsync("k", "v");
            vault.Server.Faults.FailRandomly(0.5, LocalVaultFault.Throttle(), seed: 42);
            var outcome = new System.Text.StringBuilder();
            for (var i = 0; i < 20; i++)
            {
                try
                {
                    await vault.Client.GetSecretAsync("k");
                    outcome.Append('.');
                }
                catch (RequestFailedException e) when (e.Status == 429)
                {
                    outcome.Append('x');
                }
            }

            vault.Server.Faults.Clear();
            await vault.Client.GetSecretAsync("k");
            outcomes.Add(outcome.ToString());
        }

        Assert.Equal(outcomes[0], outcomes[1]);
        Assert.Contains('x', outcomes[0]);
        Assert.Contains('.', outcomes[0]);
    }

    [Fact]
    public async Task AfterCommit_SeesEachAcceptedWriteBeforeTheCallerGetsTheAnswer()
    {
        await using var vault = await TestVault.StartAsync();
        var writes = new List<(LocalVaultWrite Write, int VersionsStored)>();
        vault.Server.AfterCommit = (write, _) =>
        {
            writes.Add((write, vault.Server.Snapshot().Count));
            return Task.CompletedTask;
        };
        var secret = new KeyVaultSecret("Key", "v");
        secret.Properties.Tags["a"] = "1";

        var created = (await vault.Client.SetSecretAsync(secret)).Value;
        created.Properties.Tags.Clear();
        created.Properties.Tags["b"] = "2";
        await vault.Client.UpdateSecretPropertiesAsync(created.Properties);
        await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("bad_name", "v"));

        Assert.Collection(
            writes,
            w =>
            {
                Assert.Equal(LocalVaultWriteOperation.Set, w.Write.Operation);
                Assert.Equal("Key", w.Write.SecretName);
                Assert.Equal(created.Properties.Version, w.Write.Version);
                Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, w.Write.Tags);
                Assert.Equal(1, w.VersionsStored);
            },
            w =>
            {
                Assert.Equal(LocalVaultWriteOperation.Update, w.Write.Operation);
                Assert.Equal(new Dictionary<string, string> { ["b"] = "2" }, w.Write.Tags);
            });
    }

    [Fact]
    public async Task AfterCommit_ThatBlocks_HoldsTheResponseUntilReleased()
    {
        await using var vault = await TestVault.StartAsync();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        vault.Server.AfterCommit = async (_, ct) =>
        {
            reached.SetResult();
            await release.Task.WaitAsync(ct);
        };

        var write = vault.Client.SetSecretAsync("k", "v");
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(write.IsCompleted);
        Assert.Single(vault.Server.Snapshot());
        release.SetResult();
        Assert.Equal("v", (await write).Value.Value);
    }
}
