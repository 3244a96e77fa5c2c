using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Scheduling;
using Rotator.Tests.Configuration;

namespace Rotator.Tests.Scheduling;

public class ReloadPlannerTests
{
    private static readonly IReadOnlyDictionary<string, Phase> AllIdle = new Dictionary<string, Phase> { ["billing"] = Phase.Idle, ["internal-api"] = Phase.Completed };

    [Fact]
    public void Plan_NothingChanged_HasNoChanges()
    {
        var plan = ReloadPlanner.Plan(ValidOptions.Create(), ValidOptions.Create(), AllIdle);

        Assert.Empty(plan.Changes);
        Assert.Empty(plan.RestartNeeded);
    }

    [Fact]
    public void Plan_AddedKey_AppliesNow()
    {
        var desired = ValidOptions.Create();
        desired.Keys.Add(Key("payments", "payments-key"));

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, AllIdle);

        Assert.Equal([new PlannedChange("payments", KeyChange.Added)], plan.Changes);
        Assert.Contains(plan.Effective.Keys, k => k.Name == "payments");
    }

    [Fact]
    public void Plan_ScheduleChange_ReschedulesEvenMidRotation()
    {
        var desired = ValidOptions.Create();
        desired.BillingKey().Schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(30), Window = MaintenanceWindowTests.Window("Mon", "02:00", "05:00") };

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, new Dictionary<string, Phase> { ["billing"] = Phase.RollingOut });

        Assert.Equal([new PlannedChange("billing", KeyChange.Rescheduled)], plan.Changes);
        Assert.Equal(TimeSpan.FromDays(30), plan.Effective.BillingKey().Schedule.Interval);
    }

    [Fact]
    public void Plan_OtherFieldChange_IsAnUpdate()
    {
        var desired = ValidOptions.Create();
        desired.BillingKey().Rollout.PollInterval = TimeSpan.FromSeconds(10);

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, AllIdle);

        Assert.Equal([new PlannedChange("billing", KeyChange.Updated)], plan.Changes);
    }

    public static TheoryData<string, Action<RotatorOptions>, string> IdentityChanges => new()
    {
        { "removed", o => o.Keys.RemoveAt(0), nameof(KeyChange.Removed) },
        { "secret", o => o.BillingKey().Secret = "billing-api-key-2", nameof(KeyChange.Redefined) },
        { "issuer type", o => o.BillingKey().Issuer.Type = "Generated", nameof(KeyChange.Redefined) },
        { "account", o => o.Http().Account = "acct-2", nameof(KeyChange.Redefined) },
    };

    [Theory]
    [MemberData(nameof(IdentityChanges))]
    public void Plan_IdentityChangeOfAKeyAtRest_AppliesNow(string what, Action<RotatorOptions> change, string expectedName)
    {
        var expected = Enum.Parse<KeyChange>(expectedName);
        var desired = ValidOptions.Create();
        change(desired);

        Assert.Contains("billing", ReloadPlanner.PhasesNeeded(ValidOptions.Create(), desired));
        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, new Dictionary<string, Phase> { ["billing"] = Phase.Completed });

        var planned = Assert.Single(plan.Changes);
        Assert.Equal(new PlannedChange("billing", expected), planned);
        Assert.False(planned.Deferred, what);
        Assert.Equal(expected == KeyChange.Removed, plan.Effective.Keys.All(k => k.Name != "billing"));
    }

    [Theory]
    [MemberData(nameof(IdentityChanges))]
    public void Plan_IdentityChangeOfAKeyInFlight_WaitsAndKeepsTheOldDefinition(string what, Action<RotatorOptions> change, string expectedName)
    {
        var expected = Enum.Parse<KeyChange>(expectedName);
        var current = ValidOptions.Create();
        var desired = ValidOptions.Create();
        change(desired);

        var plan = ReloadPlanner.Plan(current, desired, new Dictionary<string, Phase> { ["billing"] = Phase.RollingOut, ["internal-api"] = Phase.Idle });

        var planned = Assert.Single(plan.Changes);
        Assert.Equal(expected, planned.Change);
        Assert.True(planned.Deferred, what);
        Assert.Contains("RollingOut", planned.Waits, StringComparison.Ordinal);
        var kept = Assert.Single(plan.Effective.Keys, k => k.Name == "billing");
        Assert.Equal("billing-api-key", kept.Secret);
        Assert.Equal("acct-1", kept.Issuer.Http.Account);
        Assert.Equal("Http", kept.Issuer.Type);
    }

    [Theory]
    [InlineData(Phase.NeedsAttention)]
    [InlineData(Phase.Stalled)]
    [InlineData(Phase.Intent)]
    public void Plan_RemovalOfAKeyNotAtRest_Waits(Phase phase)
    {
        var desired = ValidOptions.Create();
        desired.Keys.RemoveAt(0);

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, new Dictionary<string, Phase> { ["billing"] = phase });

        Assert.True(Assert.Single(plan.Changes).Deferred);
    }

    [Fact]
    public void Plan_RemovalOfAKeyWhosePhaseIsUnknown_Waits()
    {
        var desired = ValidOptions.Create();
        desired.Keys.RemoveAt(0);

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, new Dictionary<string, Phase>());

        Assert.Contains("could not be read", Assert.Single(plan.Changes).Waits, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RenamedKeyOnTheSameSecretWhileTheOldIsInFlight_BothWait()
    {
        // Never two keys on one secret: the new name waits for the old one's rotation to finish.
        var desired = ValidOptions.Create();
        desired.BillingKey().Name = "billing-v2";

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, new Dictionary<string, Phase> { ["billing"] = Phase.Revoking });

        Assert.Equal(2, plan.Changes.Count);
        Assert.All(plan.Changes, c => Assert.True(c.Deferred));
        Assert.Contains("billing", Assert.Single(plan.Changes, c => c.Change == KeyChange.Added).Waits, StringComparison.Ordinal);
        Assert.Equal(["internal-api", "billing"], plan.Effective.Keys.Select(k => k.Name));
    }

    [Fact]
    public void Plan_WaitingRemoval_AppliesOnceTheKeyIsAtRest()
    {
        var current = ValidOptions.Create();
        var desired = ValidOptions.Create();
        desired.Keys.RemoveAt(0);
        var waiting = ReloadPlanner.Plan(current, desired, new Dictionary<string, Phase> { ["billing"] = Phase.RollingOut });

        var later = ReloadPlanner.Plan(waiting.Effective, desired, new Dictionary<string, Phase> { ["billing"] = Phase.Completed });

        Assert.Equal([new PlannedChange("billing", KeyChange.Removed)], later.Changes);
        Assert.Equal(["internal-api"], later.Effective.Keys.Select(k => k.Name));
    }

    [Fact]
    public void Plan_NonReloadableSettings_KeepTheRunningValueAndSayARestartIsNeeded()
    {
        var desired = ValidOptions.Create();
        desired.Vault.Uri = new Uri("https://other-vault.vault.azure.net/");
        desired.Admin.Urls = "http://0.0.0.0:9090";
        desired.WorkerId = "rotator-b";
        desired.Retry.MaxAttempts = 3;

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, AllIdle);

        Assert.Equal(["Rotator:Vault", "Rotator:Admin:Urls", "Rotator:WorkerId"], plan.RestartNeeded);
        Assert.Equal(new Uri("https://my-vault.vault.azure.net/"), plan.Effective.Vault.Uri);
        Assert.Equal(new AdminOptions().Urls, plan.Effective.Admin.Urls);
        Assert.Null(plan.Effective.WorkerId);
        Assert.Equal(3, plan.Effective.Retry.MaxAttempts);
    }

    [Fact]
    public void Plan_DoesNotShareObjectsWithTheNewConfiguration()
    {
        var desired = ValidOptions.Create();
        desired.Keys.Add(Key("payments", "payments-key"));

        var plan = ReloadPlanner.Plan(ValidOptions.Create(), desired, AllIdle);
        desired.Keys[2].Secret = "changed-later";

        Assert.Equal("payments-key", plan.Effective.Keys[2].Secret);
    }

    private static ManagedKeyOptions Key(string name, string secret)
    {
        var key = ValidOptions.Create().InternalKey();
        key.Name = name;
        key.Secret = secret;
        return key;
    }
}
