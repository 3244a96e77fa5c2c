using Rotator.Cli;
using Rotator.Demo;
using Rotator.IntegrationTests.Rotation;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// A step that keeps failing ends in NeedsAttention after <c>Retry:MaxAttempts</c> attempts, counted in the control
/// secret so that a crash loop counts too, instead of retrying forever; the old key keeps working.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class AttemptLimitTests(ITestOutputHelper output)
{
    private const int MaxAttempts = 3;
    private const int Refusals = 1000;

    [Fact]
    public async Task VendorRefusingEveryCreate_StopsInNeedsAttentionAfterMaxAttempts_VisibleInTheRecordAndTheLogs()
    {
        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated: false, c => c["Rotator:Retry:MaxAttempts"] = "3"));
        var audit = new FaultAudit(world, seed: 0, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");
        var oldKey = world.Vendor!.Keys(DemoCommand.Account).Single(k => !k.Revoked);

        world.Vendor.Faults.Inject(VendorOperation.Create, VendorFault.Unavailable, Refusals);
        var stopped = await world.WaitForAsync(r => r.Phase == Phase.NeedsAttention, FaultWorld.Limit, "NeedsAttention");

        AssertStoppedAfterMaxAttempts(world, audit, stopped, oldKey);
        audit.Print("vendor refusing every create");
    }

    [Fact]
    public async Task CrashLoopWhileTheVendorRefusesEveryCreate_CountsEveryWorkersAttempt_AndStopsInNeedsAttention()
    {
        // Retries far apart: each worker makes one attempt at start-up and is replaced before its own retry is due.
        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated: false, c =>
        {
            c["Rotator:Retry:MaxAttempts"] = "3";
            c["Rotator:Retry:BaseDelay"] = "00:10:00";
            c["Rotator:Retry:MaxDelay"] = "00:20:00";
        }));
        var audit = new FaultAudit(world, seed: 0, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");
        var oldKey = world.Vendor!.Keys(DemoCommand.Account).Single(k => !k.Revoked);

        world.Vendor.Faults.Inject(VendorOperation.Create, VendorFault.Unavailable, Refusals);
        ExecutionResult last;
        while (true)
        {
            // Each wait sees every result from the first, in order: count them to look only at this worker's.
            var start = world.Results.Count;
            var index = 0;
            last = await world.WaitForAsync(r => index++ >= start && r.Error is not null, FaultWorld.Limit, "a failed attempt");
            if (last.Phase == Phase.NeedsAttention)
            {
                break;
            }

            Assert.True(world.WorkerStarts <= MaxAttempts, $"still retrying after {world.WorkerStarts} workers: {last.Phase} {last.Error}");
            await world.RestartWorkerAsync();
        }

        // One attempt per worker: without the count in the vault, each new worker would start again from zero.
        Assert.Equal(MaxAttempts, world.WorkerStarts);
        AssertStoppedAfterMaxAttempts(world, audit, last, oldKey);
        audit.Print("crash loop while the vendor refuses every create");
    }

    private static void AssertStoppedAfterMaxAttempts(RotationWorld world, FaultAudit audit, ExecutionResult stopped, Demo.VendorKeyState oldKey)
    {
        // It stops: no retry is scheduled, and exactly MaxAttempts creates reached the vendor.
        Assert.Null(stopped.RunAgainAt);
        Assert.Equal(MaxAttempts, Refusals - world.Vendor!.Faults.Pending(VendorOperation.Create));

        // The count climbed in the control secret, each try written before it was made, before it gave up.
        var counted = audit.Records.Where(r => r.Phase == Phase.Intent).Select(r => r.Attempts).Distinct().ToList();
        Assert.Equal([.. Enumerable.Range(0, MaxAttempts + 1)], counted);

        // Visible in its status: the record's phase and error, and in the logs.
        var control = audit.Current();
        Assert.Equal(Phase.NeedsAttention, control.Phase);
        Assert.False(string.IsNullOrWhiteSpace(control.Error), "the record names no error");
        Assert.Contains($"{MaxAttempts} attempts", control.Error, StringComparison.Ordinal);
        Assert.NotNull(stopped.Error);
        Assert.Contains(world.Logs.Lines, l => l.Contains("NeedsAttention", StringComparison.Ordinal) && l.Contains(control.RotationId!, StringComparison.Ordinal));

        // Nothing changed: the old key is the only one and still current; nobody failed.
        Assert.Equal([oldKey.Id], world.Vendor.Keys(DemoCommand.Account).Where(k => !k.Revoked).Select(k => k.Id));
        audit.AssertSafe();
    }
}
