using Rotator.Admin;
using Rotator.Configuration;
using Rotator.Tests.Configuration;

namespace Rotator.Tests.Admin;

public sealed class AdminValidationTests
{
    private static RotatorOptions WithAdmin(params AdminKeyOptions[] keys)
    {
        var options = ValidOptions.Create();
        options.Admin.Keys = [.. keys];
        new AdminKeyDerivation().PostConfigure(null, options);
        return options;
    }

    private static AdminKeyOptions Admin(string name = "ops", string secret = "rotator-admin-ops", AdminRole role = AdminRole.Operator) =>
        new() { Name = name, Secret = secret, Role = role };

    [Fact]
    public void Validate_AdminKeysDerivedAsManagedKeys_NoFailures() =>
        Assert.Empty(ValidOptions.Failures(WithAdmin(Admin(), Admin("viewers", "rotator-admin-view", AdminRole.Viewer))));

    [Theory]
    [InlineData("ops team")]
    [InlineData("ops.team")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void Validate_BadName_NamesTheRule(string name) =>
        ValidOptions.AssertSingleFailure(WithAdmin(Admin(name)), $"Admin.Keys[{name}].Name", "1 to 63 letters, digits, '-' or '_'");

    [Fact]
    public void Validate_MissingName_SaysWhatItIsFor() =>
        ValidOptions.AssertSingleFailure(WithAdmin(Admin("")), "Admin.Keys[0].Name", "actor");

    [Fact]
    public void Validate_DuplicateName_CaseInsensitive() =>
        ValidOptions.AssertSingleFailure(WithAdmin(Admin("ops"), Admin("OPS", "rotator-admin-ops2")), "Admin.Keys[OPS].Name", "already the name of Admin.Keys[0]");

    [Fact]
    public void Validate_UnknownRole() =>
        ValidOptions.AssertSingleFailure(WithAdmin(Admin(role: (AdminRole)7)), "Admin.Keys[ops].Role", "Viewer or Operator");

    [Theory]
    [InlineData("billing-api-key", "Keys[billing].Secret")]
    [InlineData("billing-api-key-rotator", "Keys[billing].Secret")]
    [InlineData("vendor-admin", "CredentialSecret")]
    [InlineData("INTERNAL-API-KEY", "Keys[internal-api].Secret")]
    public void Validate_SecretClashesWithAManagedKeysSecrets(string secret, string owner)
    {
        var failure = ValidOptions.AssertSingleFailure(WithAdmin(Admin(secret: secret)), "Admin.Keys[ops].Secret", "clashes with");

        Assert.Contains(owner, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoAdminKeysOnOneSecret() =>
        ValidOptions.AssertSingleFailure(WithAdmin(Admin(), Admin("view", "rotator-admin-ops", AdminRole.Viewer)), "Admin.Keys[view].Secret", "an admin key's secret");

    [Theory]
    [InlineData("")]
    [InlineData("bad_name")]
    public void Validate_InvalidSecret(string secret) =>
        Assert.StartsWith("Admin.Keys[ops].Secret: ", Assert.Single(ValidOptions.Failures(WithAdmin(Admin(secret: secret)))), StringComparison.Ordinal);

    [Fact]
    public void Validate_ManagedNameTaken_SaysWhichKeyClashes()
    {
        var options = ValidOptions.Create();
        options.Keys[0].Name = "admin-ops";
        options.Admin.Keys = [Admin()];
        new AdminKeyDerivation().PostConfigure(null, options);

        ValidOptions.AssertSingleFailure(options, "Admin.Keys[ops].Name", "\"admin-ops\", which is already a key under Rotator:Keys");
    }

    [Fact]
    public void Validate_ShortSeed_NeverQuotesIt()
    {
        var admin = Admin();
        admin.Seed = "hunter2-secret";

        var failure = ValidOptions.AssertSingleFailure(WithAdmin(admin), "Admin.Keys[ops].Seed", "at least 20");

        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RefreshIntervalNotPositive()
    {
        var options = WithAdmin(Admin());
        options.Admin.RefreshInterval = TimeSpan.Zero;

        ValidOptions.AssertSingleFailure(options, "Admin.RefreshInterval", "greater than zero");
    }

    [Fact]
    public void Validate_AdminSchedule_CheckedLikeAnyKey()
    {
        var admin = Admin();
        admin.Schedule = new ScheduleOptions();

        ValidOptions.AssertSingleFailure(WithAdmin(admin), "Admin.Keys[ops].Schedule", "neither Cron nor Interval");
    }

    [Fact]
    public void Validate_AdminRollout_CheckedOnce()
    {
        var options = WithAdmin(Admin(), Admin("view", "rotator-admin-view", AdminRole.Viewer));
        options.Admin.Rollout.StableFor = TimeSpan.Zero;

        ValidOptions.AssertSingleFailure(options, "Admin.Rollout.StableFor", "greater than zero");
    }
}
