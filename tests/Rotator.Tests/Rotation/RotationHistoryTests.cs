using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class RotationHistoryTests
{
    [Fact]
    public async Task ReadAsync_AfterTwoRotations_ListsBothNewestFirstWithTheirStepsAndVersions()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        await f.RunUntilRestAsync();
        var first = f.Record.RotationId;
        f.Time.Advance(TimeSpan.FromDays(31));
        await f.RunUntilRestAsync(RunReason.Scheduled);

        var history = await new RotationHistory(f.Vault).ReadAsync(f.Key, CancellationToken.None);

        Assert.Equal<string>([f.Record.RotationId!, first!], history.Select(h => h.RotationId).ToArray());
        Assert.All(history, h => Assert.Equal("Completed", h.Outcome));
        Assert.Equal(
            [Phase.Intent, Phase.Minted, Phase.Stored, Phase.RollingOut, Phase.Revoking, Phase.Completed],
            history[1].Steps.Select(s => s.Phase).ToArray());
        Assert.Equal((RotationTrigger.Manual, "tester"), (history[1].Trigger, history[1].Actor));
        Assert.Equal((RotationTrigger.Schedule, (string?)null), (history[0].Trigger, history[0].Actor));
        Assert.Equal(history[1].NewFingerprint, history[0].OldFingerprint);
        Assert.Equal(f.Vault.Latest(ExecutorFixture.Secret)!.Version, history[0].Version);
        Assert.True(history[0].Started >= history[1].Ended);
    }

    [Fact]
    public async Task ReadAsync_AbortedRotation_EndsAborted()
    {
        var f = new ExecutorFixture();
        f.SeedCurrentKey();
        await f.RunAsync(RunReason.Manual, new OperatorRequest(OperatorAction.Rotate, "alice", "test"));
        f.ConsumersFollowTheVault();
        var aborted = await f.FollowAsync(await f.RequestAsync(OperatorAction.Abort));
        Assert.Equal(Phase.Idle, aborted.Phase);

        var history = await new RotationHistory(f.Vault).ReadAsync(f.Key, CancellationToken.None);

        var entry = Assert.Single(history);
        Assert.Equal("Aborted", entry.Outcome);
        Assert.Equal(RotationTrigger.Manual, entry.Trigger);
        Assert.Equal("tester", entry.Actor); // the last person who acted on it; the note says what they did
        Assert.Contains(entry.Steps, s => s.Phase == Phase.Aborting);
        Assert.Contains("Abort by tester", entry.Note, StringComparison.Ordinal);
        Assert.NotNull(entry.Ended);
    }

    [Fact]
    public async Task ReadAsync_NothingRotatedYet_IsEmpty()
    {
        var f = new ExecutorFixture();

        Assert.Empty(await new RotationHistory(f.Vault).ReadAsync(new ManagedKeyOptions { Name = "x", Secret = "nothing-here" }, CancellationToken.None));
    }
}
