using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Rotation;
using Rotator.Tests.Fakes;
using Rotator.Vault;

namespace Rotator.Tests.Rotation;

public sealed class RotationExecutorTests
{
    [Fact]
    public async Task RunAsync_VendorKey_RotatesEndToEndAndRevokesTheOldKeyLast()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.ConsumersFollowTheVault();

        var result = await f.RunUntilRestAsync();

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.NotEqual(old, f.LatestValue);
        Assert.Single(f.Issuer.Active);
        Assert.Equal(f.LatestValue, f.Issuer.Active.Values.Single().Value);
        Assert.Equal(["key_1"], f.Issuer.Revoked);
        var latest = f.Vault.Latest(ExecutorFixture.Secret)!;
        Assert.Equal(f.Record.RotationId, latest.Tags[VersionTags.Rotation]);
        Assert.Equal(Fingerprint.Of(f.LatestValue!), latest.Tags[VersionTags.Fingerprint]);
        Assert.Equal("key_2", latest.Tags[VersionTags.KeyId]);
        Assert.Equal("1", latest.Tags[VersionTags.Sequence]);
        Assert.NotNull(latest.ExpiresOn);
        Assert.Equal(RotationTrigger.Manual, f.Record.Trigger);
        Assert.Equal("tester", f.Record.Actor);
    }

    [Fact]
    public async Task RunAsync_EveryRecordedStep_IsPublishedInOrderWithItsRecord()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();

        await f.RunUntilRestAsync();

        Assert.Equal(
            [Phase.Intent, Phase.Minted, Phase.Stored, Phase.RollingOut, Phase.Revoking, Phase.Completed],
            f.Transitions.Select(t => t.To).ToArray());
        Assert.All(f.Transitions, t => Assert.Equal(f.Record.RotationId, t.Record.RotationId));
        Assert.All(f.Transitions.Zip(f.Transitions.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.Equal("tester", f.Transitions[^1].Record.Actor);
    }

    [Fact]
    public async Task RunAsync_TwoRotations_CountSequenceAndCopyForeignTags()
    {
        var f = new ExecutorFixture();
        var value = f.Issuer.Seed();
        await f.Vault.SetAsync(ExecutorFixture.Secret, value, new Dictionary<string, string> { ["owner"] = "team-billing" }, null, default);
        f.ConsumersFollowTheVault();

        await f.RunUntilRestAsync();
        f.Time.Advance(TimeSpan.FromDays(31));
        var second = await f.RunUntilRestAsync(RunReason.Scheduled);

        Assert.Equal(Phase.Completed, second.Phase);
        var latest = f.Vault.Latest(ExecutorFixture.Secret)!;
        Assert.Equal("2", latest.Tags[VersionTags.Sequence]);
        Assert.Equal("team-billing", latest.Tags["owner"]);
        Assert.Single(f.Issuer.Active);
        Assert.Equal(3, f.Vault.Versions(ExecutorFixture.Secret).Count);
    }

    [Fact]
    public async Task RunAsync_ConsumerThatNeverRefreshes_EndsStalledWithTheOldKeyActive()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        var oldFingerprint = Fingerprint.Of(old);
        f.Probe.Answer = _ => [.. FakeProbe.All(2, "x").Select((o, i) => o with { Fingerprints = [i == 0 ? oldFingerprint : Fingerprint.Of(f.LatestValue!)] })];

        var result = await f.RunAsync(RunReason.Manual);
        for (var i = 0; i < 200 && result.Phase != Phase.Stalled; i++)
        {
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Equal(Phase.Stalled, result.Phase);
        Assert.Contains(f.Issuer.Active.Values, v => v.Value == old);
        Assert.Empty(f.Issuer.Revoked);
        Assert.Equal(f.Key.Rollout.StalledPollInterval, result.RunAgainAt - f.Time.GetUtcNow());

        // Stalled keeps polling for days and still never revokes on its own.
        for (var i = 0; i < 50; i++)
        {
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Equal(Phase.Stalled, result.Phase);
        Assert.Empty(f.Issuer.Revoked);
        Assert.Contains(f.Log.Entries, l => l.Message.Contains("stalled", StringComparison.Ordinal) && l.Message.Contains(oldFingerprint, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ConsumerNameWithZeroAddresses_KeepsTheRotationWaiting()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.Probe.Answer = _ => [];

        var result = await f.RunAsync(RunReason.Manual);
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(Phase.RollingOut, result.Phase);
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Empty(f.Issuer.Revoked);
        Assert.Equal(2, f.Issuer.Active.Count);
    }

    [Fact]
    public async Task RunAsync_EmptySecretWithoutBootstrap_NeedsAttentionAndMintsNothing()
    {
        var f = new ExecutorFixture();

        var result = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(0, f.Issuer.Creates);
        Assert.Empty(f.Vault.Versions(ExecutorFixture.Secret));
        Assert.Contains("bootstrap", f.Record.Error, StringComparison.Ordinal);
        Assert.Null(result.RunAgainAt);
    }

    [Fact]
    public async Task RunAsync_EmptySecretWithBootstrap_MintsTheFirstKeyAtStartup()
    {
        var f = new ExecutorFixture();
        f.Key.Bootstrap = true;
        f.ConsumersFollowTheVault();

        var result = await f.RunUntilRestAsync(RunReason.Startup);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Equal(RotationTrigger.Bootstrap, f.Record.Trigger);
        Assert.Single(f.Issuer.Active);
        Assert.Empty(f.Issuer.Revoked);
        Assert.Equal(f.LatestValue, f.Issuer.Active.Values.Single().Value);
    }

    [Fact]
    public async Task RunAsync_AccountWithNoRoom_NeedsAttentionBeforeMinting()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();
        f.Issuer.Seed("someone's laptop key");
        var creates = f.Issuer.Creates;

        var result = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(creates, f.Issuer.Creates);
        Assert.Contains("allows 2", f.Record.Error, StringComparison.Ordinal);
        Assert.Equal(2, f.Issuer.Active.Count);
    }

    [Fact]
    public async Task RunAsync_AdoptionWithSeveralUnclaimedKeys_NeverGuessesWhichToRevoke()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.Issuer.Seed("a person's key");

        var result = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(0, f.Issuer.Creates);
        Assert.Empty(f.Issuer.Revoked);
        Assert.Contains("Cannot tell which", f.Record.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CreateAnswerLost_RevokesTheOrphanAndNeverHoldsAThirdKey()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        f.Issuer.LoseNextCreateAnswer = true;

        var first = await f.RunAsync(RunReason.Manual);

        Assert.Equal(Phase.Intent, first.Phase);
        Assert.Equal(RunReason.FollowUp, first.RunAgainAs);
        Assert.Equal(["key_2"], f.Issuer.Revoked);
        Assert.Equal(old, f.LatestValue);

        f.Time.SetUtcNow(first.RunAgainAt!.Value);
        var result = await f.RunUntilRestAsync(RunReason.FollowUp);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Single(f.Issuer.Active);
        Assert.Equal(f.LatestValue, f.Issuer.Active.Values.Single().Value);
    }

    [Fact]
    public async Task RunAsync_RestartBetweenMintAndStore_RevokesTheLostKeyAndMintsAgain()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        f.Vault.FailNext.Add(("list", ExecutorFixture.Secret, VaultFailure.Transient));

        var first = await f.RunAsync(RunReason.Manual);
        Assert.Equal(Phase.Minted, first.Phase);
        Assert.Equal(2, f.Issuer.Active.Count);

        f.Restart();
        f.Time.SetUtcNow(first.RunAgainAt!.Value);
        var result = await f.RunUntilRestAsync(RunReason.Startup);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Contains("key_2", f.Issuer.Revoked);
        Assert.Equal("key_3", f.Vault.Latest(ExecutorFixture.Secret)!.Tags[VersionTags.KeyId]);
        Assert.Single(f.Issuer.Active);
        Assert.NotEqual(old, f.LatestValue);
    }

    [Fact]
    public async Task RunAsync_StoredButNotRecorded_ResumesFromTheVersionItFinds()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        f.Vault.FailNext.Add(("update", SecretNames.Control(ExecutorFixture.Secret), VaultFailure.Transient));
        f.Vault.FailNext.Add(("update", SecretNames.Control(ExecutorFixture.Secret), VaultFailure.Transient));

        // Minted is recorded; the set succeeds; the Stored record fails: the record lags the vault.
        var first = await f.RunAsync(RunReason.Manual);
        Assert.NotEqual(Phase.Completed, first.Phase);

        f.Restart();
        var result = await f.RunUntilRestAsync(RunReason.Startup);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Single(f.Issuer.Active);
        var rotations = f.Vault.Versions(ExecutorFixture.Secret).Select(v => v.Tags.GetValueOrDefault(VersionTags.Rotation)).Where(r => r is not null).ToList();
        Assert.Equal(rotations.Distinct().Count(), rotations.Count);
    }

    [Fact]
    public async Task RunAsync_TransientFailuresBeyondTheLimit_NeedsAttention()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        for (var i = 0; i < 10; i++)
        {
            f.Issuer.FailNextCreate = true;
            var result = await f.RunAsync(i == 0 ? RunReason.Manual : RunReason.FollowUp);
            if (result.Phase == Phase.NeedsAttention)
            {
                Assert.Equal(f.Options.Retry.MaxAttempts, i + 1);
                Assert.Contains("gave up after", f.Record.Error, StringComparison.Ordinal);
                Assert.Single(f.Issuer.Active);
                return;
            }

            Assert.Equal(i + 1, f.Record.Attempts);
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
        }

        Assert.Fail("never gave up");
    }

    [Fact]
    public async Task RunAsync_CrashLoopWhileMinting_CountsEachTryAndEndsInNeedsAttentionWithoutAnOrphan()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.Issuer.DieAfterCreate = true;

        // Each start mints, then dies before anything is recorded, like a process killed right after the vendor answered.
        var deaths = 0;
        ExecutionResult? result = null;
        for (var start = 0; start < 20 && result?.Phase != Phase.NeedsAttention; start++)
        {
            f.Restart();
            try
            {
                result = await f.RunAsync(start == 0 ? RunReason.Manual : RunReason.Startup);
            }
            catch (InvalidOperationException)
            {
                deaths++;
            }
        }

        Assert.Equal(Phase.NeedsAttention, result!.Phase);
        Assert.Equal(f.Options.Retry.MaxAttempts, deaths);
        Assert.Contains("gave up after", f.Record.Error, StringComparison.Ordinal);
        Assert.Equal(old, Assert.Single(f.Issuer.Active.Values).Value);
    }

    [Fact]
    public async Task RunAsync_VaultRefusingEverySet_CountsLostKeysAndGivesUpWithoutAnOrphan()
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        for (var i = 0; i < 50; i++)
        {
            f.Vault.FailNext.Add(("set", ExecutorFixture.Secret, VaultFailure.Transient));
        }

        var result = await f.RunAsync(RunReason.Manual);
        for (var i = 0; i < 50 && result.Phase != Phase.NeedsAttention; i++)
        {
            f.Time.SetUtcNow(result.RunAgainAt!.Value);
            result = await f.RunAsync();
        }

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.True(f.Issuer.Creates <= f.Options.Retry.MaxAttempts, $"{f.Issuer.Creates} keys minted");
        Assert.Equal(old, Assert.Single(f.Issuer.Active.Values).Value);
    }

    [Fact]
    public async Task RunAsync_CurrentKeyRevokedByHand_NeedsAttentionWithoutSideEffects()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();
        var current = f.Issuer.Active.Keys.Single();
        await f.Issuer.RevokeAsync(current, default);
        var creates = f.Issuer.Creates;

        f.Time.Advance(TimeSpan.FromDays(31));
        var result = await f.RunAsync(RunReason.Scheduled);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(creates, f.Issuer.Creates);
        Assert.Contains(f.Log.Entries, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical && l.Message.Contains(current, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_UntaggedLatestWrittenBySomeoneElse_NeedsAttention()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();
        await f.Vault.SetAsync(ExecutorFixture.Secret, "typed-in-by-hand", new Dictionary<string, string>(), null, default);
        var creates = f.Issuer.Creates;

        f.Time.Advance(TimeSpan.FromDays(31));
        var result = await f.RunAsync(RunReason.Scheduled);

        Assert.Equal(Phase.NeedsAttention, result.Phase);
        Assert.Equal(creates, f.Issuer.Creates);
        Assert.Contains("not written by Rotator", f.Record.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NotDueAtStartup_DoesNothing()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();
        var writes = f.Vault.Writes.Count;

        var result = await f.RunAsync(RunReason.Startup);

        Assert.Equal(Phase.Completed, result.Phase);
        Assert.Equal(writes, f.Vault.Writes.Count);
        Assert.Equal(f.Time.GetUtcNow() + TimeSpan.FromDays(30), result.RunAgainAt);
        Assert.Equal(RunReason.Scheduled, result.RunAgainAs);
    }

    [Fact]
    public async Task RunAsync_GeneratedKey_VerifiersAcceptBeforeCallersSeeItAndDropTheOldHashAfter()
    {
        var f = new ExecutorFixture(IssuerType.Generated);
        f.Key.Issuer.Prefix = "sk_";
        var accepted = SecretNames.Accepted(ExecutorFixture.Secret);
        var verifierSawNewBeforeCallers = true;
        f.Probe.Answer = role =>
        {
            var doc = f.Vault.Latest(accepted)?.Value is { } json ? AcceptedKeys.Parse(json) : AcceptedKeys.Empty;
            if (role == ProbeRole.Verifier)
            {
                return FakeProbe.All(2, [.. doc.Accept.Select(a => a.Fingerprint)]);
            }

            // A caller sending a key the verifiers do not accept would get a 401.
            if (f.LatestFingerprint is { } fp && !doc.ContainsFingerprint(fp) && doc.Accept.Count > 0)
            {
                verifierSawNewBeforeCallers = false;
            }

            return f.LatestFingerprint is { } current ? FakeProbe.All(3, current) : [];
        };
        f.Key.Bootstrap = true;

        var first = await f.RunUntilRestAsync(RunReason.Startup);
        var firstKey = f.LatestValue!;
        f.Time.Advance(TimeSpan.FromDays(31));
        var second = await f.RunUntilRestAsync(RunReason.Scheduled);

        Assert.Equal(Phase.Completed, first.Phase);
        Assert.Equal(Phase.Completed, second.Phase);
        Assert.True(verifierSawNewBeforeCallers);
        Assert.StartsWith("sk_", f.LatestValue, StringComparison.Ordinal);
        Assert.NotEqual(firstKey, f.LatestValue);
        var doc = AcceptedKeys.Parse(f.Vault.Latest(accepted)!.Value!);
        Assert.Equal([Fingerprint.Of(f.LatestValue!)], doc.Accept.Select(a => a.Fingerprint));
        Assert.True(doc.Accepts(f.LatestValue!));
        Assert.False(doc.Accepts(firstKey));
        Assert.Equal("-", f.Vault.Latest(SecretNames.Control(ExecutorFixture.Secret))!.Value);
    }

    [Fact]
    public async Task RunAsync_ManyRotations_NoKeyValueReachesALogOrATag()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        f.Issuer.LoseNextCreateAnswer = true;
        for (var i = 0; i < 5; i++)
        {
            await f.RunUntilRestAsync(i == 0 ? RunReason.Manual : RunReason.Scheduled);
            f.Time.Advance(TimeSpan.FromDays(31));
        }

        var outputs = f.Log.Text + string.Join('\n', f.Vault.Versions(SecretNames.Control(ExecutorFixture.Secret)).SelectMany(v => v.Tags.Values))
            + string.Join('\n', f.Vault.Versions(ExecutorFixture.Secret).SelectMany(v => v.Tags.Values));
        Assert.True(f.KeysSeen.Count >= 5);
        foreach (var key in f.KeysSeen)
        {
            Assert.DoesNotContain(key, outputs, StringComparison.Ordinal);
            Assert.DoesNotContain(key[4..16], outputs, StringComparison.Ordinal);
        }
    }
}
