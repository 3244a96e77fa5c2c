using Rotator.Cli.Validation;
using Rotator.Configuration;

namespace Rotator.Tests.Cli;

public sealed class ValidationTests
{
    private static RotatorOptions Options() => new()
    {
        Keys =
        [
            new ManagedKeyOptions { Name = "billing", Secret = "billing-key", Issuer = new IssuerOptions { Type = "Http", Http = new HttpIssuerOptions { CredentialSecret = "billing-mgmt" } } },
            new ManagedKeyOptions { Name = "internal", Secret = "internal-key", Bootstrap = true, Issuer = new IssuerOptions { Type = "Generated" } },
        ],
        Admin = new AdminOptions { Keys = [new AdminKeyOptions { Name = "ops", Role = AdminRole.Operator, Secret = "admin-ops", Seed = "seeded" }] },
    };

    [Fact]
    public void SecretsOf_EveryManagedControlAcceptedAndCredentialSecret()
    {
        var checks = VaultAccessCheck.SecretsOf(Options());

        Assert.Equal(
            ["billing-key", "billing-key-rotator", "billing-mgmt", "internal-key", "internal-key-rotator", "internal-key-accepted", "admin-ops", "admin-ops-rotator", "admin-ops-accepted"],
            checks.Select(c => c.Secret));
        Assert.False(checks.Single(c => c.Secret == "billing-mgmt").List);
        Assert.NotNull(checks.Single(c => c.Secret == "billing-key").MustExist);
        Assert.Null(checks.Single(c => c.Secret == "internal-key").MustExist);
        Assert.Null(checks.Single(c => c.Secret == "admin-ops").MustExist);
        Assert.Equal("Keys[billing]", checks[0].Owner);
        Assert.Equal("Admin.Keys[ops]", checks[^1].Owner);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("list")]
    public void Describe_Forbidden_NamesThePermissionAndTheSecret(string permission)
    {
        var line = VaultAccessCheck.Describe(permission, new SecretCheck("Keys[billing]", "billing-key-rotator", "the control secret", true, null), 403, "Forbidden");

        Assert.Contains($"refused '{permission}' on secret 'billing-key-rotator'", line, StringComparison.Ordinal);
        Assert.Contains($"grant Rotator's identity the secret '{permission}' permission", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_Disabled_SaysToEnableIt() =>
        Assert.Contains("is disabled", VaultAccessCheck.Describe("get", new SecretCheck("Keys[b]", "b", "the managed secret", true, null), 403, "SecretDisabled"), StringComparison.Ordinal);
}
