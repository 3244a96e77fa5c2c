using Rotator.Cli;
using Rotator.IntegrationTests.Cli;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Crash;

/// <summary>Invariant 5: a second worker on the same vault (another release, a laptop) is noticed through the lease, and both stop.</summary>
[Collection(KillCollection.Name)]
public sealed class SecondWorkerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ASecondWorkerOnTheSameVault_StopsBothInNeedsAttentionWithoutADoubleRotation()
    {
        await using var world = await CrashWorld.StartAsync(IssuerKind.Http);
        using var first = Start(world, "release-a");
        await world.WaitForRecordAsync(r => r.Phase == Phase.Completed, CrashWorld.Limit, "the bootstrap to complete");

        using var second = Start(world, "laptop-b");
        ControlRecord stopped;
        try
        {
            stopped = await world.WaitForRecordAsync(r => r.Phase == Phase.NeedsAttention, CrashWorld.Limit, "the second worker to be noticed");
        }
        finally
        {
            output.WriteLine("first worker:\n" + string.Join('\n', first.Lines.TakeLast(30)));
            output.WriteLine("second worker:\n" + string.Join('\n', second.Lines.TakeLast(30)));
        }
        var minted = world.Vendor!.Keys(DemoCommand.Account).Count;

        // Both keep running, neither rotates: the key stays where it stopped until a person has looked.
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
            Assert.Equal(Phase.NeedsAttention, world.Record.Phase);
        }

        output.WriteLine($"stopped: {stopped.Error}");
        Assert.Contains("Another worker", stopped.Error, StringComparison.Ordinal);
        Assert.Equal(minted, world.Vendor.Keys(DemoCommand.Account).Count);
        Assert.True(world.Vendor.Keys(DemoCommand.Account).Count(k => !k.Revoked) <= 2);
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
        Assert.Empty(world.Invariants.Violations);
        Assert.Equal(0, world.FailedRequests);
    }

    private static RotatorProcess Start(CrashWorld world, string workerId) => RotatorProcess.Start(
        ["run", "--config", world.ConfigFile],
        Directory.CreateTempSubdirectory("rotator-worker-").FullName,
        new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development", ["Rotator__WorkerId"] = workerId });
}
