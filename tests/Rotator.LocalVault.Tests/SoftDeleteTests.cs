using System.Net;
using System.Text.Json;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class SoftDeleteTests
{
    private const string ApiVersion = "api-version=2026-04-01";

    [Fact]
    public async Task Delete_ThroughTheOperation_CompletesAndAnswersTheDeletedLatestVersionWithoutValue()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync(Tagged("Api-Key", "one", "1"));
        var latest = (await vault.Client.SetSecretAsync(Tagged("Api-Key", "two", "2"))).Value;

        var operation = await vault.Client.StartDeleteSecretAsync("api-key");
        DeletedSecret deleted = await operation.WaitForCompletionAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(operation.HasCompleted);
        Assert.Equal("Api-Key", deleted.Name);
        Assert.Null(deleted.Value);
        Assert.Equal(latest.Properties.Version, deleted.Properties.Version);
        Assert.Equal(latest.Id, deleted.Id);
        Assert.Equal("2", deleted.Properties.Tags["seq"]);
        Assert.Equal(new Uri(vault.Server.Uri, "deletedsecrets/Api-Key"), deleted.RecoveryId);
        Assert.NotNull(deleted.DeletedOn);
        Assert.Equal(deleted.DeletedOn!.Value.AddDays(90), deleted.ScheduledPurgeDate);
        Assert.InRange(deleted.DeletedOn.Value, TimeProvider.System.GetUtcNow().AddMinutes(-1), TimeProvider.System.GetUtcNow().AddMinutes(1));
        Assert.Empty(vault.Server.SecretNames);
        Assert.Equal(["Api-Key"], vault.Server.DeletedSecretNames);
        Assert.Empty(vault.Server.Snapshot());
    }

    [Fact]
    public async Task DeletedSecret_CannotBeReadUpdatedListedOrSet()
    {
        await using var vault = await TestVault.StartAsync();
        var created = (await vault.Client.SetSecretAsync("k", "v")).Value;
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();

        var getLatest = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k"));
        var getVersion = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k", created.Properties.Version));
        var update = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.UpdateSecretPropertiesAsync(created.Properties));
        var versions = await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (var unused in vault.Client.GetPropertiesOfSecretVersionsAsync("k"))
            {
            }
        });
        var set = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("K", "again"));

        Assert.All([getLatest, getVersion, update, versions], f =>
        {
            Assert.Equal(404, f.Status);
            Assert.Equal("SecretNotFound", f.ErrorCode);
        });
        Assert.Equal(409, set.Status);
        Assert.Equal("Conflict", set.ErrorCode);
        Assert.Contains(
            "Secret K is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.",
            set.Message,
            StringComparison.Ordinal);
        Assert.Contains("ObjectIsDeletedButRecoverable", set.Message, StringComparison.Ordinal);

        var listed = new List<SecretProperties>();
        await foreach (var properties in vault.Client.GetPropertiesOfSecretsAsync())
        {
            listed.Add(properties);
        }

        Assert.Empty(listed);
        Assert.Equal(["k"], vault.Server.DeletedSecretNames);
    }

    [Fact]
    public async Task SetOnDeletedName_AnswersTheConflictEnvelopeWithItsInnerError()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();
        using var http = vault.HttpClient(vault.Server.AccessToken);
        using var body = new StringContent("""{"value":"x"}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await http.PutAsync($"secrets/k?{ApiVersion}", body);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("Conflict", error.GetProperty("code").GetString());
        Assert.Equal("ObjectIsDeletedButRecoverable", error.GetProperty("innererror").GetProperty("code").GetString());
    }

    [Fact]
    public async Task DeleteAnswer_OnTheWire_IsADeletedSecretBundleWithoutValue()
    {
        await using var vault = await TestVault.StartAsync();
        var created = (await vault.Client.SetSecretAsync(new KeyVaultSecret("k", "hidden-value") { Properties = { ContentType = "text/plain" } })).Value;
        using var http = vault.HttpClient(vault.Server.AccessToken);

        using var response = await http.DeleteAsync($"secrets/k?{ApiVersion}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("hidden-value", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.False(root.TryGetProperty("value", out _));
        Assert.Equal($"{vault.Server.Uri}deletedsecrets/k", root.GetProperty("recoveryId").GetString());
        Assert.Equal($"{vault.Server.Uri}secrets/k/{created.Properties.Version}", root.GetProperty("id").GetString());
        Assert.Equal("text/plain", root.GetProperty("contentType").GetString());
        var deletedDate = root.GetProperty("deletedDate").GetInt64();
        Assert.Equal(deletedDate + (90 * 24 * 3600), root.GetProperty("scheduledPurgeDate").GetInt64());
        Assert.True(root.GetProperty("attributes").GetProperty("enabled").GetBoolean());
        Assert.Equal("Recoverable+Purgeable", root.GetProperty("attributes").GetProperty("recoveryLevel").GetString());
    }

    [Fact]
    public async Task Delete_OfMissingOrAlreadyDeletedSecret_Fails404SecretNotFound()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartDeleteSecretAsync("nope"));
        var again = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartDeleteSecretAsync("k"));

        Assert.All([missing, again], f =>
        {
            Assert.Equal(404, f.Status);
            Assert.Equal("SecretNotFound", f.ErrorCode);
        });
    }

    [Fact]
    public async Task GetDeletedSecret_AnswersTheDeletedBundleAnd404ForNamesNotDeleted()
    {
        await using var vault = await TestVault.StartAsync();
        var created = (await vault.Client.SetSecretAsync(Tagged("k", "v", "7"))).Value;
        await vault.Client.SetSecretAsync("live", "v");
        var deletion = (await vault.Client.StartDeleteSecretAsync("k")).Value;

        DeletedSecret read = await vault.Client.GetDeletedSecretAsync("K");
        var live = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetDeletedSecretAsync("live"));
        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetDeletedSecretAsync("nope"));

        Assert.Equal("k", read.Name);
        Assert.Null(read.Value);
        Assert.Equal(created.Properties.Version, read.Properties.Version);
        Assert.Equal("7", read.Properties.Tags["seq"]);
        Assert.Equal(deletion.RecoveryId, read.RecoveryId);
        Assert.Equal(deletion.DeletedOn, read.DeletedOn);
        Assert.Equal(deletion.ScheduledPurgeDate, read.ScheduledPurgeDate);
        Assert.All([live, missing], f =>
        {
            Assert.Equal(404, f.Status);
            Assert.Equal("SecretNotFound", f.ErrorCode);
        });
        Assert.Contains("Deleted Secret not found: nope", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDeletedSecrets_ListsEveryDeletedSecretAcrossPages()
    {
        await using var vault = await TestVault.StartAsync();
        for (var i = 0; i < 27; i++)
        {
            await vault.Client.SetSecretAsync($"d{i:D2}", "v");
            await vault.Client.StartDeleteSecretAsync($"d{i:D2}");
        }

        await vault.Client.SetSecretAsync("live", "v");

        var pages = new List<Page<DeletedSecret>>();
        await foreach (var page in vault.Client.GetDeletedSecretsAsync().AsPages())
        {
            pages.Add(page);
        }

        var listed = pages.SelectMany(p => p.Values).ToList();
        Assert.True(pages.Count > 1, $"expected several pages, got {pages.Count}");
        Assert.Equal(Enumerable.Range(0, 27).Select(i => $"d{i:D2}"), listed.Select(d => d.Name));
        Assert.All(listed, d =>
        {
            Assert.Equal(new Uri(vault.Server.Uri, $"deletedsecrets/{d.Name}"), d.RecoveryId);
            Assert.NotNull(d.DeletedOn);
            Assert.NotNull(d.ScheduledPurgeDate);
            Assert.Null(d.Value);
        });
    }

    [Fact]
    public async Task Recover_ThroughTheOperation_BringsBackEveryVersionWithValuesAndTags()
    {
        await using var vault = await TestVault.StartAsync();
        var first = (await vault.Client.SetSecretAsync(Tagged("k", "one", "1"))).Value;
        var second = (await vault.Client.SetSecretAsync(Tagged("k", "two", "2"))).Value;
        second.Properties.Enabled = false;
        await vault.Client.UpdateSecretPropertiesAsync(second.Properties);
        var third = (await vault.Client.SetSecretAsync(Tagged("k", "three", "3"))).Value;
        var before = vault.Server.Snapshot();
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();

        var operation = await vault.Client.StartRecoverDeletedSecretAsync("k");
        SecretProperties recovered = await operation.WaitForCompletionAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(operation.HasCompleted);
        Assert.Equal("k", recovered.Name);
        Assert.Equal(third.Properties.Version, recovered.Version);
        Assert.Equal("3", recovered.Tags["seq"]);
        Assert.Equal(before, vault.Server.Snapshot(), SameVersion);
        Assert.Empty(vault.Server.DeletedSecretNames);

        Assert.Equal("three", (await vault.Client.GetSecretAsync("k")).Value.Value);
        KeyVaultSecret old = await vault.Client.GetSecretAsync("k", first.Properties.Version);
        Assert.Equal("one", old.Value);
        Assert.Equal("1", old.Properties.Tags["seq"]);
        var listed = new List<SecretProperties>();
        await foreach (var properties in vault.Client.GetPropertiesOfSecretVersionsAsync("k"))
        {
            listed.Add(properties);
        }

        Assert.Equal(3, listed.Count);
        Assert.False(listed.Single(p => p.Version == second.Properties.Version).Enabled);
        Assert.Equal("four", (await vault.Client.SetSecretAsync("k", "four")).Value.Value);
        await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetDeletedSecretAsync("k"));
    }

    [Fact]
    public async Task RecoverAnswer_OnTheWire_IsTheLatestBundleWithoutValue()
    {
        await using var vault = await TestVault.StartAsync();
        var created = (await vault.Client.SetSecretAsync("k", "hidden-value")).Value;
        await vault.Client.StartDeleteSecretAsync("k");
        using var http = vault.HttpClient(vault.Server.AccessToken);

        using var response = await http.PostAsync($"deletedsecrets/k/recover?{ApiVersion}", content: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(json.RootElement.TryGetProperty("value", out _));
        Assert.False(json.RootElement.TryGetProperty("recoveryId", out _));
        Assert.Equal($"{vault.Server.Uri}secrets/k/{created.Properties.Version}", json.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Recover_OfSecretNotDeleted_Fails404()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("live", "v");

        var live = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartRecoverDeletedSecretAsync("live"));
        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartRecoverDeletedSecretAsync("nope"));

        Assert.All([live, missing], f =>
        {
            Assert.Equal(404, f.Status);
            Assert.Equal("SecretNotFound", f.ErrorCode);
        });
        Assert.Equal(["live"], vault.Server.SecretNames);
    }

    [Fact]
    public async Task Purge_RemovesTheSecretForGoodAndFreesItsName()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "one");
        await vault.Client.SetSecretAsync("k", "two");
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();

        var purged = await vault.Client.PurgeDeletedSecretAsync("k");
        var again = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.PurgeDeletedSecretAsync("k"));
        var recover = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartRecoverDeletedSecretAsync("k"));
        KeyVaultSecret reused = await vault.Client.SetSecretAsync("K", "fresh");

        Assert.Equal(204, purged.Status);
        Assert.All([again, recover], f =>
        {
            Assert.Equal(404, f.Status);
            Assert.Equal("SecretNotFound", f.ErrorCode);
        });
        Assert.Empty(vault.Server.DeletedSecretNames);
        Assert.Equal("K", reused.Name);
        Assert.Equal(["K"], vault.Server.SecretNames);
        Assert.Equal("fresh", Assert.Single(vault.Server.Snapshot()).Value);
    }

    [Fact]
    public async Task Purge_OfSecretNotDeleted_Fails404AndKeepsIt()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("live", "v");

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.PurgeDeletedSecretAsync("live"));

        Assert.Equal(404, failure.Status);
        Assert.Equal("SecretNotFound", failure.ErrorCode);
        Assert.Equal("v", (await vault.Client.GetSecretAsync("live")).Value.Value);
    }

    [Fact]
    public async Task DeletedState_SurvivesARestartAndRecoversAfterIt()
    {
        using var folder = new TempDirectory();
        IReadOnlyList<LocalVaultSecretVersion> before;
        DeletedSecret deleted;
        await using (var first = await TestVault.StartAsync(folder.Path))
        {
            await first.Client.SetSecretAsync(Tagged("Api-Key", "one", "1"));
            await first.Client.SetSecretAsync(Tagged("Api-Key", "two", "2"));
            await first.Client.SetSecretAsync("other", "x");
            await first.Client.SetSecretAsync("gone", "x");
            before = first.Server.Snapshot().Where(v => v.Name == "Api-Key").ToList();
            deleted = (await first.Client.StartDeleteSecretAsync("Api-Key")).Value;
            await first.Client.StartDeleteSecretAsync("gone");
            await first.Client.PurgeDeletedSecretAsync("gone");
        }

        await using (var second = await TestVault.StartAsync(folder.Path))
        {
            Assert.Equal(["other"], second.Server.SecretNames);
            Assert.Equal(["Api-Key"], second.Server.DeletedSecretNames);
            var set = await Assert.ThrowsAsync<RequestFailedException>(() => second.Client.SetSecretAsync("api-key", "three"));
            Assert.Equal(409, set.Status);
            DeletedSecret read = await second.Client.GetDeletedSecretAsync("api-key");
            Assert.Equal(deleted.DeletedOn, read.DeletedOn);
            Assert.Equal(deleted.ScheduledPurgeDate, read.ScheduledPurgeDate);
            await Assert.ThrowsAsync<RequestFailedException>(() => second.Client.GetDeletedSecretAsync("gone"));

            await (await second.Client.StartRecoverDeletedSecretAsync("api-key")).WaitForCompletionAsync();
        }

        await using var third = await TestVault.StartAsync(folder.Path);
        Assert.Equal(["Api-Key", "other"], third.Server.SecretNames);
        Assert.Empty(third.Server.DeletedSecretNames);
        Assert.Equal(before, third.Server.Snapshot().Where(v => v.Name == "Api-Key").ToList(), SameVersion);
        Assert.Equal("two", (await third.Client.GetSecretAsync("api-key")).Value.Value);
    }

    [Fact]
    public async Task AfterCommit_SeesDeleteRecoverAndPurgeAlreadyOnDisk()
    {
        using var folder = new TempDirectory();
        await using var vault = await TestVault.StartAsync(folder.Path);
        var created = (await vault.Client.SetSecretAsync(Tagged("k", "v", "1"))).Value;
        var seen = new List<(LocalVaultWrite Write, string File)>();
        vault.Server.AfterCommit = (write, _) =>
        {
            seen.Add((write, File.ReadAllText(Path.Combine(folder.Path, "vault.json"))));
            return Task.CompletedTask;
        };

        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();
        await (await vault.Client.StartRecoverDeletedSecretAsync("k")).WaitForCompletionAsync();
        await (await vault.Client.StartDeleteSecretAsync("k")).WaitForCompletionAsync();
        await vault.Client.PurgeDeletedSecretAsync("k");

        Assert.Equal(
            [LocalVaultWriteOperation.Delete, LocalVaultWriteOperation.Recover, LocalVaultWriteOperation.Delete, LocalVaultWriteOperation.Purge],
            seen.Select(s => s.Write.Operation));
        Assert.All(seen, s =>
        {
            Assert.Equal("k", s.Write.SecretName);
            Assert.Equal(created.Properties.Version, s.Write.Version);
            Assert.Equal("1", s.Write.Tags["seq"]);
        });
        Assert.Contains("\"deletedDate\"", seen[0].File, StringComparison.Ordinal);
        Assert.DoesNotContain("\"deletedDate\"", seen[1].File, StringComparison.Ordinal);
        Assert.Contains("\"deletedDate\"", seen[2].File, StringComparison.Ordinal);
        Assert.DoesNotContain("\"k\"", seen[3].File, StringComparison.Ordinal);
        Assert.Equal(["cert.pem", "cert.pfx", "token", "vault.json"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder.Path, "vault.json")));
        }
    }

    [Fact]
    public async Task CommitFault_OnDelete_AppliesTheDeleteButAnswers503()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        vault.Server.Faults.FailNext(1, LocalVaultFault.CommitThenUnavailable());

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.StartDeleteSecretAsync("k"));

        Assert.Equal(503, failure.Status);
        Assert.Equal(["k"], vault.Server.DeletedSecretNames);
    }

    [Fact]
    public async Task Tokens_NeedTheDeleteRecoverAndPurgePermissions()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        var reader = vault.ClientWithToken(vault.Server.AddToken("reader", LocalVaultPermission.Get, LocalVaultPermission.List));
        var deleter = vault.ClientWithToken(vault.Server.AddToken("deleter", LocalVaultPermission.Delete));

        var delete = await Assert.ThrowsAsync<RequestFailedException>(() => reader.StartDeleteSecretAsync("k"));
        // Key Vault's delete operation counts a 403 on its poll as done: the caller may delete without reading.
        var operation = await deleter.StartDeleteSecretAsync("k");
        await operation.WaitForCompletionAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var recover = await Assert.ThrowsAsync<RequestFailedException>(() => reader.StartRecoverDeletedSecretAsync("k"));
        var purge = await Assert.ThrowsAsync<RequestFailedException>(() => reader.PurgeDeletedSecretAsync("k"));

        Assert.All([delete, recover, purge], f =>
        {
            Assert.Equal(403, f.Status);
            Assert.Equal("Forbidden", f.ErrorCode);
        });
        Assert.Contains("secrets delete permission", delete.Message, StringComparison.Ordinal);
        Assert.Contains("secrets recover permission", recover.Message, StringComparison.Ordinal);
        Assert.Contains("secrets purge permission", purge.Message, StringComparison.Ordinal);
        Assert.True(operation.HasCompleted);
        Assert.Equal(["k"], vault.Server.DeletedSecretNames);
    }

    [Fact]
    public async Task DeletedSecret_IsPurgedByItselfOnceItsScheduledPurgeDatePasses()
    {
        var time = new ShiftedTime();
        await using var server = await LocalVaultServer.StartAsync(new LocalVaultOptions(), time, null, CancellationToken.None);
        var client = LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(30));
        await client.SetSecretAsync("k", "v");
        await client.StartDeleteSecretAsync("k");

        time.Offset = TimeSpan.FromDays(90) - TimeSpan.FromMinutes(1);
        Assert.Equal(["k"], server.DeletedSecretNames);

        time.Offset = TimeSpan.FromDays(90) + TimeSpan.FromMinutes(1);
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetDeletedSecretAsync("k"));
        Assert.Equal(404, failure.Status);
        Assert.Empty(server.DeletedSecretNames);
        Assert.Equal("again", (await client.SetSecretAsync("k", "again")).Value.Value);
    }

    private static KeyVaultSecret Tagged(string name, string value, string seq)
    {
        var secret = new KeyVaultSecret(name, value);
        secret.Properties.Tags["seq"] = seq;
        return secret;
    }

    private static bool SameVersion(LocalVaultSecretVersion a, LocalVaultSecretVersion b) =>
        a with { Tags = b.Tags } == b && a.Tags.OrderBy(t => t.Key).SequenceEqual(b.Tags.OrderBy(t => t.Key));

    /// <summary>The system clock moved by <see cref="Offset"/>; timers stay on the system clock.</summary>
    private sealed class ShiftedTime : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
    }
}
