using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

public sealed class SecretTests
{
    [Fact]
    public async Task SetSecret_ThenGetLatestAndByVersion_ReturnsValueTagsAndAttributes()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("api-key", "s3cret") { Properties = { ContentType = "text/plain", ExpiresOn = new DateTimeOffset(2040, 1, 2, 3, 4, 5, TimeSpan.Zero) } };
        secret.Properties.Tags["rotator-seq"] = "1";

        KeyVaultSecret created = await vault.Client.SetSecretAsync(secret);

        Assert.Equal("api-key", created.Name);
        Assert.Matches("^[0-9a-f]{32}$", created.Properties.Version);
        Assert.Equal(new Uri(vault.Server.Uri, $"secrets/api-key/{created.Properties.Version}"), created.Id);
        Assert.Equal(vault.Server.Uri, created.Properties.VaultUri);
        Assert.Equal("s3cret", created.Value);
        Assert.True(created.Properties.Enabled);
        Assert.NotNull(created.Properties.CreatedOn);
        Assert.Equal(created.Properties.CreatedOn, created.Properties.UpdatedOn);
        Assert.Equal("Recoverable+Purgeable", created.Properties.RecoveryLevel);
        Assert.Equal(90, created.Properties.RecoverableDays);

        KeyVaultSecret latest = await vault.Client.GetSecretAsync("api-key");
        KeyVaultSecret byVersion = await vault.Client.GetSecretAsync("api-key", created.Properties.Version);
        foreach (var read in new[] { latest, byVersion })
        {
            Assert.Equal("s3cret", read.Value);
            Assert.Equal(created.Properties.Version, read.Properties.Version);
            Assert.Equal("text/plain", read.Properties.ContentType);
            Assert.Equal(new DateTimeOffset(2040, 1, 2, 3, 4, 5, TimeSpan.Zero), read.Properties.ExpiresOn);
            Assert.Equal("1", read.Properties.Tags["rotator-seq"]);
        }
    }

    [Fact]
    public async Task GetLatest_AfterSeveralSets_ReturnsMostRecentlyCreatedVersionWhateverItsId()
    {
        await using var vault = await TestVault.StartAsync();
        var versions = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            versions.Add((await vault.Client.SetSecretAsync("k", $"v{i}")).Value.Properties.Version);

            KeyVaultSecret latest = await vault.Client.GetSecretAsync("k");
            Assert.Equal($"v{i}", latest.Value);
            Assert.Equal(versions[^1], latest.Properties.Version);
        }

        Assert.Equal(12, versions.Distinct().Count());
    }

    [Theory]
    [InlineData("secrets/k")]
    [InlineData("secrets/k/")]
    [InlineData("secrets/K/")]
    public async Task GetLatest_WithOrWithoutTrailingSlash_Answers200(string path)
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        using var http = vault.HttpClient(vault.Server.AccessToken);

        using var response = await http.GetAsync($"{path}?api-version=2026-04-01");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"value\":\"v\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_WithoutApiVersion_Fails400()
    {
        await using var vault = await TestVault.StartAsync();
        using var http = vault.HttpClient(vault.Server.AccessToken);

        using var response = await http.GetAsync("secrets/k");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Names_DifferingOnlyInCase_AreOneSecretThatKeepsItsFirstSpelling()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("My-Key", "one");
        await vault.Client.SetSecretAsync("MY-KEY", "two");

        KeyVaultSecret read = await vault.Client.GetSecretAsync("my-key");

        Assert.Equal("two", read.Value);
        Assert.Equal("My-Key", read.Name);
        Assert.Equal(["My-Key"], vault.Server.SecretNames);
        Assert.Equal(2, vault.Server.Snapshot().Count);
    }

    [Fact]
    public async Task GetSecret_ThatDoesNotExist_Fails404SecretNotFound()
    {
        await using var vault = await TestVault.StartAsync();

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("nope"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("SecretNotFound", missing.ErrorCode);
        Assert.Contains("A secret with (name/id) nope was not found in this key vault.", missing.Message, StringComparison.Ordinal);

        await vault.Client.SetSecretAsync("there", "x");
        var missingVersion = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("there", "0123456789abcdef0123456789abcdef"));
        Assert.Equal(404, missingVersion.Status);
        Assert.Equal("SecretNotFound", missingVersion.ErrorCode);
    }

    [Fact]
    public async Task GetSecret_DisabledVersion_Fails403ForbiddenAndLatestDoesNotSkipIt()
    {
        await using var vault = await TestVault.StartAsync();
        var first = (await vault.Client.SetSecretAsync("k", "old")).Value;
        var second = (await vault.Client.SetSecretAsync("k", "new")).Value;
        second.Properties.Enabled = false;
        await vault.Client.UpdateSecretPropertiesAsync(second.Properties);

        var byVersion = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k", second.Properties.Version));
        var latest = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.GetSecretAsync("k"));

        foreach (var failure in new[] { byVersion, latest })
        {
            Assert.Equal(403, failure.Status);
            Assert.Equal("Forbidden", failure.ErrorCode);
            Assert.Contains("Operation get is not allowed on a disabled secret.", failure.Message, StringComparison.Ordinal);
        }

        Assert.Equal("old", (await vault.Client.GetSecretAsync("k", first.Properties.Version)).Value.Value);
    }

    [Fact]
    public async Task GetSecret_ExpiredVersion_StillReads()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("k", "v") { Properties = { ExpiresOn = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero), NotBefore = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) } };
        await vault.Client.SetSecretAsync(secret);

        KeyVaultSecret read = await vault.Client.GetSecretAsync("k");

        Assert.Equal("v", read.Value);
        Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), read.Properties.NotBefore);
    }

    [Fact]
    public async Task UpdateProperties_WithTags_ReplacesTheWholeSetAndMergesAttributes()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("k", "v") { Properties = { ContentType = "text/plain", ExpiresOn = new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero) } };
        secret.Properties.Tags["a"] = "1";
        secret.Properties.Tags["b"] = "2";
        var created = (await vault.Client.SetSecretAsync(secret)).Value;

        // Only tags and nbf: enabled, exp and content type are left out and must stay as they were.
        var change = new SecretProperties(created.Id) { NotBefore = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        change.Tags["c"] = "3";
        SecretProperties updated = await vault.Client.UpdateSecretPropertiesAsync(change);

        Assert.Equal(new Dictionary<string, string> { ["c"] = "3" }, updated.Tags);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), updated.NotBefore);
        Assert.Equal(new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero), updated.ExpiresOn);
        Assert.True(updated.Enabled);
        Assert.Equal("text/plain", updated.ContentType);

        KeyVaultSecret read = await vault.Client.GetSecretAsync("k");
        Assert.Equal("v", read.Value);
        Assert.Equal(new Dictionary<string, string> { ["c"] = "3" }, read.Properties.Tags);
    }

    [Fact]
    public async Task UpdateProperties_WithoutTags_LeavesTagsAlone()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("k", "v");
        secret.Properties.Tags["keep"] = "me";
        var created = (await vault.Client.SetSecretAsync(secret)).Value;

        using var http = vault.HttpClient(vault.Server.AccessToken);
        using var body = new StringContent("""{"attributes":{"enabled":false}}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PatchAsync($"secrets/k/{created.Properties.Version}?api-version=2026-04-01", body);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"value\"", json, StringComparison.Ordinal);
        var stored = Assert.Single(vault.Server.Snapshot());
        Assert.False(stored.Enabled);
        Assert.Equal("me", stored.Tags["keep"]);
    }

    [Fact]
    public async Task UpdateProperties_OfMissingVersion_Fails404()
    {
        await using var vault = await TestVault.StartAsync();
        await vault.Client.SetSecretAsync("k", "v");
        var change = new SecretProperties(new Uri(vault.Server.Uri, "secrets/k/0123456789abcdef0123456789abcdef"));

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.UpdateSecretPropertiesAsync(change));

        Assert.Equal(404, failure.Status);
        Assert.Equal("SecretNotFound", failure.ErrorCode);
    }

    [Fact]
    public async Task ListVersions_ThirtyVersions_ComeInSeveralPagesFollowingNextLink()
    {
        await using var vault = await TestVault.StartAsync();
        var written = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            var secret = new KeyVaultSecret("many", $"v{i}");
            secret.Properties.Tags["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            written.Add((await vault.Client.SetSecretAsync(secret)).Value.Properties.Version);
        }

        var pages = new List<Page<SecretProperties>>();
        await foreach (var page in vault.Client.GetPropertiesOfSecretVersionsAsync("many").AsPages())
        {
            pages.Add(page);
        }

        Assert.True(pages.Count > 1, $"expected several pages, got {pages.Count}");
        Assert.All(pages, p => Assert.InRange(p.Values.Count, 1, 25));
        var listed = pages.SelectMany(p => p.Values).ToList();
        Assert.Equal(written.Order(StringComparer.Ordinal), listed.Select(p => p.Version));
        Assert.All(listed, p => Assert.Equal("many", p.Name));
        Assert.All(listed, p => Assert.True(p.Tags.ContainsKey("i")));
    }

    [Fact]
    public async Task ListVersions_WithSmallMaxResults_PagesByThatSize()
    {
        await using var vault = await TestVault.StartAsync();
        for (var i = 0; i < 7; i++)
        {
            await vault.Client.SetSecretAsync("k", $"v{i}");
        }

        using var http = vault.HttpClient(vault.Server.AccessToken);
        var ids = new List<string>();
        var pages = 0;
        string? next = "secrets/k/versions?api-version=2026-04-01&maxresults=3";
        while (next is not null)
        {
            using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(next));
            pages++;
            ids.AddRange(document.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            Assert.All(document.RootElement.GetProperty("value").EnumerateArray(), e => Assert.False(e.TryGetProperty("value", out _)));
            next = document.RootElement.GetProperty("nextLink").GetString();
            Assert.True(next is null || next.StartsWith(vault.Server.Uri.ToString(), StringComparison.Ordinal), next);
        }

        Assert.Equal(3, pages);
        Assert.Equal(7, ids.Distinct().Count());
    }

    [Fact]
    public async Task ListVersions_OfMissingSecret_IsEmpty()
    {
        await using var vault = await TestVault.StartAsync();

        var listed = new List<SecretProperties>();
        await foreach (var properties in vault.Client.GetPropertiesOfSecretVersionsAsync("nothing-here"))
        {
            listed.Add(properties);
        }

        Assert.Empty(listed);
    }

    [Fact]
    public async Task ListSecrets_ReturnsTheLatestItemOfEachSecretAcrossPages()
    {
        await using var vault = await TestVault.StartAsync();
        for (var i = 0; i < 27; i++)
        {
            await vault.Client.SetSecretAsync($"s{i:D2}", "first");
            await vault.Client.SetSecretAsync($"s{i:D2}", "second");
        }

        var listed = new List<SecretProperties>();
        await foreach (var properties in vault.Client.GetPropertiesOfSecretsAsync())
        {
            listed.Add(properties);
        }

        Assert.Equal(27, listed.Count);
        var latest = vault.Server.Snapshot().GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.MaxBy(v => v.Sequence)!.Version);
        Assert.All(listed, p => Assert.Equal(latest[p.Name], p.Version));
    }

    [Theory]
    [InlineData("bad_name")]
    [InlineData("dots.are.out")]
    public async Task SetSecret_WithInvalidName_Fails400BadParameter(string name)
    {
        await using var vault = await TestVault.StartAsync();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync(name, "v"));

        Assert.Equal(400, failure.Status);
        Assert.Equal("BadParameter", failure.ErrorCode);
        Assert.Empty(vault.Server.SecretNames);
    }

    [Fact]
    public async Task SetSecret_WithNameOf128Characters_Fails400AndOf127Succeeds()
    {
        await using var vault = await TestVault.StartAsync();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync(new string('a', 128), "v"));
        await vault.Client.SetSecretAsync(new string('a', 127), "v");

        Assert.Equal(400, failure.Status);
        Assert.Single(vault.Server.SecretNames);
    }

    [Fact]
    public async Task SetSecret_WithSixteenTags_Fails400AndFifteenSucceed()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("k", "v");
        for (var i = 0; i < 15; i++)
        {
            secret.Properties.Tags[$"t{i}"] = new string('x', 512);
        }

        await vault.Client.SetSecretAsync(secret);
        secret.Properties.Tags["t15"] = "one too many";
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync(secret));

        Assert.Equal(400, failure.Status);
        Assert.Equal("BadParameter", failure.ErrorCode);
        Assert.Single(vault.Server.Snapshot());
    }

    [Fact]
    public async Task SetSecret_WithTagValueOver512Characters_Fails400()
    {
        await using var vault = await TestVault.StartAsync();
        var secret = new KeyVaultSecret("k", "v");
        secret.Properties.Tags["t"] = new string('x', 513);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync(secret));

        Assert.Equal(400, failure.Status);
    }

    [Fact]
    public async Task SetSecret_WithValueOver25KB_Fails400AndAt25KBSucceeds()
    {
        await using var vault = await TestVault.StartAsync();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => vault.Client.SetSecretAsync("k", new string('x', 25_601)));
        KeyVaultSecret stored = await vault.Client.SetSecretAsync("k", new string('x', 25_600));

        Assert.Equal(400, failure.Status);
        Assert.Equal("BadParameter", failure.ErrorCode);
        Assert.Equal(25_600, stored.Value.Length);
        Assert.Single(vault.Server.Snapshot());
    }
}
