using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Rotator.Cli;
using Rotator.Client;
using Rotator.Rotation;
using Rotator.Scheduling;

namespace Rotator.IntegrationTests.Rotation;

/// <summary>Operator requests through the worker's scheduler, against real consumers, vendor and vault.</summary>
public sealed class OperatorActionEndToEndTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static async Task RequestAsync(RotationWorld world, OperatorRequest request)
    {
        var scheduler = await world.Worker.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await world.Worker.Services.GetRequiredService<RotationScheduler>().RunNowAsync(scheduler, "demo", request, CancellationToken.None);
    }

    [Fact]
    public async Task Abort_AfterStored_ConsumersGoBackToTheOldKeyWithoutAFailedRequest()
    {
        // A slow consumer keeps the rollout open long enough to abort it.
        await using var world = await RotationWorld.StartAsync(new WorldOptions
        {
            Consumers = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5)],
        });
        var bootstrap = await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the bootstrap");
        var old = (await world.Secrets.GetSecretAsync(DemoCommand.Secret)).Value.Value;
        await world.WaitForAsync(r => r.Phase == Phase.RollingOut && r.RotationId != bootstrap.Completed!.RotationId, Limit, "a scheduled rollout");

        await RequestAsync(world, new OperatorRequest(OperatorAction.Abort, "alice", "wrong vendor account"));
        var aborted = await world.WaitForAsync(r => r.Phase == Phase.Idle, Limit, "the abort");

        Assert.Null(aborted.RunAgainAt);
        Assert.Equal(old, (await world.Secrets.GetSecretAsync(DemoCommand.Secret)).Value.Value);
        var active = Assert.Single(world.Vendor!.Keys(DemoCommand.Account), k => !k.Revoked);
        Assert.Equal(Fingerprint.Of(old), active.Fingerprint);
        Assert.Equal(0, world.FailedRequests);
        Assert.Empty(world.Invariants.Violations);
    }

    [Fact]
    public async Task EmergencyAll_RevokesEveryKeyFirstAndMintsAFreshOne()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions());
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the bootstrap");
        var suspected = (await world.Secrets.GetSecretAsync(DemoCommand.Secret)).Value.Value;

        await RequestAsync(world, new OperatorRequest(OperatorAction.Emergency, "bob", "key pasted in a ticket", Suspect.All));
        var done = await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Emergency }, Limit, "the emergency rotation");

        var keys = world.Vendor!.Keys(DemoCommand.Account);
        Assert.True(keys.Single(k => k.Fingerprint == Fingerprint.Of(suspected)).Revoked);
        var fresh = (await world.Secrets.GetSecretAsync(DemoCommand.Secret)).Value.Value;
        Assert.Equal(Fingerprint.Of(fresh), Assert.Single(keys, k => !k.Revoked).Fingerprint);
        Assert.Equal("bob", done.Completed!.Actor);
        Assert.Contains(world.Logs.Lines, l => l.Contains("emergency: revoking suspected", StringComparison.Ordinal));
        Secrets.AssertAbsent([suspected, fresh], world.Logs.Text);
    }
}
