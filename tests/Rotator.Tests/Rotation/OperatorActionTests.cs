using Rotator.Client;
using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Tests.Fakes;
using Rotator.Vault;

namespace Rotator.Tests.Rotation;

/// <summary>Abort, emergency, forced completion, pause and resume, and the lease, as DESIGN.md describes them.</summary>
public sealed class OperatorActionTests
{
    /// <summary>A rotation minted but not stored: the managed secret's listing fails once, so the set never happens.</summary>
    private static async Task<(ExecutorFixture F, string Old)> MintedAsync()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.Vault.FailNext.Add(("list", ExecutorFixture.Secret, VaultFailure.Transient));
        var result = await f.RunAsync(RunReason.Manual);
        Assert.Equal(Phase.Minted, result.Phase);
        return (f, old);
    }

    /// <summary>A rotation rolling out whose consumers stay on the old key.</summary>
    private static async Task<(ExecutorFixture F, string Old)> RollingOutAsync()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.Probe.Answer = _ => FakeProbe.All(2, Fingerprint.Of(old));
        var result = await f.RunAsync(RunReason.Manual);
        Assert.Equal(Phase.RollingOut, result.Phase);
        return (f, old);
    }

    [Fact]
    public async Task Abort_BeforeStored_RevokesTheNewKeyAndPausesTheSchedule()
    {
        var (f, old) = await MintedAsync();

        var result = await f.FollowAsync(await f.RequestAsync(OperatorAction.Abort));

        Assert.Equal(Phase.Idle, result.Phase);
        Assert.True(f.Record.Paused);
        Assert.Equal(old, f.LatestValue);
        Assert.Equal(old, Assert.Single(f.Issuer.Active.Values).Value);
        Assert.Contains("Abort by tester", f.Record.Note, StringComparison.Ordinal);

        f.Time.Advance(TimeSpan.FromDays(60));
        var scheduled = await f.RunAsync(RunReason.Scheduled);
        Assert.Equal(Phase.Idle, scheduled.Phase);
        Assert.Equal(1, f.Issuer.Creates);
    }

    [Fact]
    public async Task Abort_AfterStored_PutsTheOldKeyBackWaitsForConsumersThenRevokesTheNewKey()
    {
        var (f, old) = await RollingOutAsync();
        var newKey = f.LatestValue!;

        var result = await f.RequestAsync(OperatorAction.Abort);

        // The old key is the latest version again at once; the new one stays active until consumers are back.
        Assert.Equal(Phase.Aborting, result.Phase);
        Assert.Equal(old, f.LatestValue);
        Assert.Equal(2, f.Issuer.Active.Count);

        result = await f.FollowAsync(result);

        Assert.Equal(Phase.Idle, result.Phase);
        Assert.True(f.Record.Paused);
        Assert.Equal(old, Assert.Single(f.Issuer.Active.Values).Value);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == newKey);
        var restored = f.Vault.Latest(ExecutorFixture.Secret)!;
        Assert.Equal(f.Record.RotationId + "-abort", restored.Tags[VersionTags.Rotation]);
        Assert.Equal(Fingerprint.Of(old), restored.Tags[VersionTags.Fingerprint]);
    }

    [Fact]
    public async Task Abort_AfterStored_WaitsWhileConsumersStillSendTheNewKey()
    {
        var (f, _) = await RollingOutAsync();
        var newFingerprint = f.LatestFingerprint!;
        f.Probe.Answer = _ => FakeProbe.All(2, newFingerprint);

        var result = await f.RequestAsync(OperatorAction.Abort);
        for (var i = 0; i < 20; i++)
        {
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Equal(Phase.Aborting, result.Phase);
        Assert.Equal(2, f.Issuer.Active.Count);
    }

    [Fact]
    public async Task Abort_WhileRevoking_IsRefused()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        var result = await f.RequestAsync(OperatorAction.Abort);

        Assert.NotNull(result.Refused);
        Assert.Equal(Phase.Idle, result.Phase);
    }

    [Fact]
    public async Task Rotate_WhileARotationRuns_IsRefusedWithItsId()
    {
        var (f, _) = await RollingOutAsync();

        var result = await f.RequestAsync(OperatorAction.Rotate);

        Assert.Contains(f.Record.RotationId!, result.Refused, StringComparison.Ordinal);
        Assert.Equal(f.Record.RotationId, result.RotationId);
        Assert.NotNull(result.RunAgainAt);
        Assert.Equal(1, f.Issuer.Creates);
    }

    [Fact]
    public async Task ForceComplete_WithoutConfirmation_IsRefused_WithIt_RevokesAndRecordsWhoAndWhy()
    {
        var (f, old) = await RollingOutAsync();

        var refused = await f.RequestAsync(OperatorAction.ForceComplete, reason: "consumer retired", confirmed: false);
        Assert.NotNull(refused.Refused);
        Assert.Equal(2, f.Issuer.Active.Count);

        var result = await f.FollowAsync(await f.RequestAsync(OperatorAction.ForceComplete, reason: "consumer retired", confirmed: true));

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == old);
        Assert.Contains("ForceComplete by tester: consumer retired", f.Record.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmergencyOld_WhileConsumersLag_RevokesAfterTheGraceAndNamesThem()
    {
        var (f, old) = await RollingOutAsync();

        var result = await f.RequestAsync(OperatorAction.Emergency, Suspect.Old);
        Assert.Equal(Phase.RollingOut, result.Phase);
        result = await f.FollowAsync(result);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == old);
        Assert.Equal(RotationTrigger.Emergency, f.Record.Trigger);
        Assert.Null(f.Record.Emergency);
        Assert.Contains(f.Log.Entries, l => l.Message.Contains("emergency grace is over", StringComparison.Ordinal) && l.Message.Contains(Fingerprint.Of(old), StringComparison.Ordinal));
    }

    [Fact]
    public async Task EmergencyAll_AtRest_RevokesTheCurrentKeyBeforeMinting()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.ConsumersFollowTheVault();

        var result = await f.FollowAsync(await f.RequestAsync(OperatorAction.Emergency, Suspect.All));

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Equal(RotationTrigger.Emergency, f.Record.Trigger);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == old);
        Assert.Equal(["key_1"], f.Issuer.Revoked);
        Assert.Equal(f.LatestValue, Assert.Single(f.Issuer.Active.Values).Value);
        Assert.Contains(f.Log.Entries, l => l.Message.Contains("emergency: revoking suspected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EmergencyNew_AfterStored_PutsTheOldKeyBackRevokesTheNewAndMintsAgain()
    {
        var (f, old) = await RollingOutAsync();
        var suspect = f.LatestValue!;
        f.ConsumersFollowTheVault();

        var result = await f.RequestAsync(OperatorAction.Emergency, Suspect.New);
        var emergencyId = result.RotationId;
        result = await f.FollowAsync(result);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == suspect);
        Assert.DoesNotContain(f.Issuer.Active.Values, v => v.Value == old);
        Assert.Equal(f.LatestValue, Assert.Single(f.Issuer.Active.Values).Value);
        Assert.NotEqual(suspect, f.LatestValue);
        Assert.Equal(emergencyId, f.Record.RotationId);
    }

    [Fact]
    public async Task Emergency_Repeated_AnswersWithTheRunningRotation()
    {
        var (f, _) = await RollingOutAsync();
        var first = await f.RequestAsync(OperatorAction.Emergency, Suspect.Old);

        var again = await f.RequestAsync(OperatorAction.Emergency, Suspect.Old);

        Assert.Equal(first.RotationId, again.RotationId);
        Assert.Null(again.Refused);
        Assert.Equal(1, f.Issuer.Creates);
    }

    [Fact]
    public async Task Pause_StopsScheduledRotations_ResumeLetsThemRunAgain()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();

        await f.RequestAsync(OperatorAction.Pause);
        f.Time.Advance(TimeSpan.FromDays(31));
        var paused = await f.RunAsync(RunReason.Startup);

        Assert.Equal(Phase.Completed, paused.Phase);
        Assert.Null(paused.RunAgainAt);
        Assert.Equal(1, f.Issuer.Creates);

        var resumed = await f.RequestAsync(OperatorAction.Resume);
        Assert.False(f.Record.Paused);
        Assert.NotNull(resumed.RunAgainAt);
        var rotated = await f.RunUntilRestAsync(RunReason.Startup);
        Assert.Equal(Phase.Completed, rotated.Phase);
        Assert.Equal(2, f.Issuer.Creates);
    }

    [Fact]
    public async Task Resume_FromNeedsAttention_GoesOnFromWhereItStopped()
    {
        var f = new ExecutorFixture(IssuerType.Generated);
        f.Key.Bootstrap = true;
        f.Probe.Answer = _ => [];
        var result = await f.RunAsync(RunReason.Startup);
        while (result.Phase == Phase.Minted)
        {
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(Phase.Minted, f.Record.Held);

        f.Probe.Answer = role =>
        {
            var accepted = f.Vault.Latest(SecretNames.Accepted(ExecutorFixture.Secret))?.Value is { } json ? AcceptedKeys.Parse(json) : AcceptedKeys.Empty;
            return role == Rotator.Consumers.ProbeRole.Verifier ? FakeProbe.All(1, [.. accepted.Accept.Select(a => a.Fingerprint)]) : FakeProbe.All(1, f.LatestFingerprint ?? "none");
        };
        result = await f.FollowAsync(await f.RequestAsync(OperatorAction.Resume));

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Null(f.Record.Held);
    }

    [Fact]
    public async Task SecondWorker_OnTheSameVault_StopsBothBeforeEitherMints()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        f.Issuer.FailNextCreate = true;
        var first = await f.RunAsync(RunReason.Manual);
        Assert.Equal(Phase.Intent, first.Phase);
        Assert.Empty(f.Issuer.Minted);

        var laptop = f.SecondWorker("laptop");
        var second = await laptop.RunAsync(f.Key, RunReason.Scheduled, null, default);

        Assert.Equal(Phase.NeedsAttention, second.Phase);
        Assert.Contains("Another worker", f.Record.Error, StringComparison.Ordinal);

        f.Time.SetUtcNow(first.RunAgainAt!.Value);
        var again = await f.RunAsync();
        Assert.Equal(Phase.NeedsAttention, again.Phase);
        Assert.Empty(f.Issuer.Minted);
    }

    [Fact]
    public async Task RecordChangedWhileMinting_StopsInNeedsAttention_AndPublishesTheStopLikeAnyStep()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        var control = SecretNames.Control(ExecutorFixture.Secret);
        f.Issuer.OnCreate = () =>
        {
            // Another writer changes the record between this worker's read and its next write.
            f.Issuer.OnCreate = null;
            var latest = f.Vault.Latest(control)!;
            var theirs = ControlRecord.FromTags(latest.Tags) with { Note = "written elsewhere" };
            f.Vault.UpdateTagsAsync(control, latest.Version, theirs.ToTags(), default).GetAwaiter().GetResult();
        };

        var result = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        var stop = f.Transitions[^1];
        Assert.Equal((Phase.Intent, Phase.NeedsAttention, RotationEvent.Unsafe), (stop.From, stop.To, stop.Cause));
        Assert.Equal(Phase.NeedsAttention, stop.Record.Phase);
        Assert.Equal(Phase.NeedsAttention, f.Record.Steps[^1].Phase);
    }

    [Fact]
    public async Task Adoption_ByConfiguredId_LeavesAPersonsKeyAlone()
    {
        var f = new ExecutorFixture(maxActiveKeys: 3);
        f.Issuer.Seed("a person's key");
        f.SeedCurrentKey();
        f.Key.Issuer.Http.CurrentKeyId = "key_2";
        f.ConsumersFollowTheVault();

        var result = await f.RunUntilRestAsync();

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Equal(["key_2"], f.Issuer.Revoked);
        Assert.Contains("key_1", f.Issuer.Active.Keys);
    }

    [Fact]
    public async Task IssuerThatCannotList_NeedsAttentionWithWhatToCleanUp()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.Issuer.CannotList = true;

        var result = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Contains($"revoke any key labelled '{f.Record.RotationId}'", f.Record.Error, StringComparison.Ordinal);
        Assert.Equal(0, f.Issuer.Creates);
    }

    [Fact]
    public async Task SoftDeletedSecretWithBootstrap_NeedsAttentionBeforeMinting()
    {
        var f = new ExecutorFixture();
        f.Key.Bootstrap = true;
        f.Vault.Deleted.Add(ExecutorFixture.Secret);

        var result = await f.RunAsync(RunReason.Startup);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Contains("soft-deleted", f.Record.Error, StringComparison.Ordinal);
        Assert.Equal(0, f.Issuer.Creates);
    }
}
