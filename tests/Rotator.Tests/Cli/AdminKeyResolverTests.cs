using Rotator.Cli.AdminApi;
using Rotator.Configuration;

namespace Rotator.Tests.Cli;

public sealed class AdminKeyResolverTests
{
    private static readonly AdminKeyOptions Viewer = new() { Name = "dash", Role = AdminRole.Viewer, Secret = "admin-dash" };
    private static readonly AdminKeyOptions Operator = new() { Name = "ops", Role = AdminRole.Operator, Secret = "admin-ops" };
    private static readonly AdminKeyOptions Operator2 = new() { Name = "ops2", Role = AdminRole.Operator, Secret = "admin-ops2" };

    private static AdminKeyResolver.VaultReader Vault(string? key, List<bool>? calls = null) => (readOnly, _) =>
    {
        calls?.Add(readOnly);
        return Task.FromResult(new ApiKeyResolution(key, key is null ? "Rotator:Vault:Uri is not set" : "vault secret 'admin-ops' (admin key 'ops')"));
    };

    [Fact]
    public async Task ResolveAsync_TheOptionWinsOverTheEnvironmentAndTheVault()
    {
        var calls = new List<bool>();

        var key = await AdminKeyResolver.ResolveAsync("from-option", _ => "from-env", Vault("from-vault", calls), readOnly: true, CancellationToken.None);

        Assert.Equal(("from-option", "--api-key"), (key.Key, key.Origin));
        Assert.Empty(calls);
    }

    [Fact]
    public async Task ResolveAsync_TheEnvironmentWinsOverTheVault()
    {
        var calls = new List<bool>();

        var key = await AdminKeyResolver.ResolveAsync(" ", name => name == "ROTATOR_API_KEY" ? "from-env" : null, Vault("from-vault", calls), readOnly: true, CancellationToken.None);

        Assert.Equal(("from-env", "ROTATOR_API_KEY"), (key.Key, key.Origin));
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResolveAsync_NeitherOptionNorEnvironment_ReadsTheVaultForTheCommandsRole(bool readOnly)
    {
        var calls = new List<bool>();

        var key = await AdminKeyResolver.ResolveAsync(null, _ => null, Vault("from-vault", calls), readOnly, CancellationToken.None);

        Assert.Equal("from-vault", key.Key);
        Assert.Equal([readOnly], calls);
        Assert.DoesNotContain("from-vault", key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NoKeyAnywhere_NamesTheOptionTheVariableAndWhyTheVaultDidNotHelp()
    {
        var key = await AdminKeyResolver.ResolveAsync(null, _ => null, Vault(null), readOnly: false, CancellationToken.None);

        Assert.Null(key.Key);
        Assert.Contains("--api-key", key.Origin, StringComparison.Ordinal);
        Assert.Contains("ROTATOR_API_KEY", key.Origin, StringComparison.Ordinal);
        Assert.Contains("Rotator:Vault:Uri is not set", key.Origin, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "dash")]
    [InlineData(false, "ops")]
    public void Choose_ViewerForReadingOperatorForActions(bool readOnly, string expected) =>
        Assert.Equal(expected, AdminKeyResolver.Choose([Operator, Viewer, Operator2], readOnly)?.Name);

    [Fact]
    public void Choose_ReadingWithoutAViewerKey_TakesAnOperatorKey() =>
        Assert.Equal("ops", AdminKeyResolver.Choose([Operator, Operator2], readOnly: true)?.Name);

    [Fact]
    public void Choose_ActionsWithOnlyAViewerKey_FindsNone() =>
        Assert.Null(AdminKeyResolver.Choose([Viewer], readOnly: false));

    [Fact]
    public void Choose_SkipsKeysWithoutASecret() =>
        Assert.Equal("ops2", AdminKeyResolver.Choose([new AdminKeyOptions { Name = "x", Role = AdminRole.Operator }, Operator2], readOnly: false)?.Name);
}
