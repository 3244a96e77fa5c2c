using System.Globalization;
using Rotator.Cli;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Crash;

/// <summary>
/// A crash loop: the worker dies at the same step every time it gets there. DESIGN.md: "After a configured number of
/// failed attempts (counted in the control secret, so a crash loop counts too) the key goes to NeedsAttention
/// instead of retrying forever."
/// </summary>
[Collection(KillCollection.Name)]
public sealed class CrashLoopTests(ITestOutputHelper output)
{
    private const int MaxAttempts = 3;

    [Fact]
    public async Task KilledAtEveryVendorCreate_TheCrashLoopIsCountedAndTheKeyStopsInNeedsAttention()
    {
        await using var world = await CrashWorld.StartAsync(IssuerKind.Http, c => c["Rotator:Retry:MaxAttempts"] = MaxAttempts.ToString(CultureInfo.InvariantCulture));
        world.StartWorker();
        await world.WaitForRecordAsync(r => r.Phase == Phase.Completed, CrashWorld.Limit, "the bootstrap to complete");

        string? rotation = null;
        var kills = 0;
        try
        {
            // Each start of the worker that reaches the create again is one more attempt of the same step. Allow one
            // more kill than the limit, so that a count that is off by one still passes; a loop that is not counted
            // at all mints a key at every start.
            for (; kills <= MaxAttempts; kills++)
            {
                var kill = await world.KillAtOrStopAsync(KillPoint.Create, CrashWorld.Limit);
                if (kill is null)
                {
                    break;
                }

                rotation ??= kill.Rotation;
                Assert.Equal(rotation, kill.Rotation);
                output.WriteLine($"kill {kills + 1}: after {kill.Write} in rotation {kill.Rotation}, record attempts {world.Record.Attempts}");
                world.StartWorker();
            }

            // The last start either stops in NeedsAttention (expected) or, uncounted, carries the rotation through.
            var end = await WaitForRestAsync(world, rotation!);
            var creates = world.Vendor!.Keys(DemoCommand.Account).Count(k => k.Label == rotation);
            output.WriteLine($"after {kills} kills at the create of {rotation}: phase {end.Phase}, attempts {end.Attempts}, keys created for it {creates}, error {end.Error}");

            Assert.True(end.Phase == Phase.NeedsAttention,
                $"the worker was killed {kills} times at the vendor create of rotation {rotation} with Retry:MaxAttempts {MaxAttempts}; "
                + $"it minted {creates} keys for that rotation and ended in {end.Phase} (attempts {end.Attempts}) instead of stopping in NeedsAttention: a crash loop is not counted.");
            Assert.True(creates <= MaxAttempts + 1, $"{creates} keys created for rotation {rotation}");
            Assert.Empty(world.Invariants.Violations);
            Assert.Equal(0, world.FailedRequests);
            Assert.Equal(0, world.RejectedCalls);
        }
        finally
        {
            world.KillWorker();
            output.WriteLine(world.Summary());
        }
    }

    /// <summary>Waits until the rotation completed or the key needs attention.</summary>
    private static async Task<ControlRecord> WaitForRestAsync(CrashWorld world, string rotation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var record = world.Record;
            if (record.Phase == Phase.NeedsAttention || world.HasCompleted(rotation) || clock.Elapsed > CrashWorld.Limit)
            {
                return record;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System);
        }
    }
}
