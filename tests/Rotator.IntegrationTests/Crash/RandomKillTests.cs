using System.Diagnostics;
using System.Globalization;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Crash;

/// <summary>
/// Kills at random writes: each trial picks a write number from the moment it starts and SIGKILLs the worker right
/// after that write is committed, then starts it again and waits for the killed rotation to complete. The seed is
/// printed; set <c>ROTATOR_KILL_SEED</c> to replay a run, <c>ROTATOR_KILL_TRIALS</c> for more trials per issuer.
/// </summary>
[Collection(KillCollection.Name)]
public sealed class RandomKillTests(ITestOutputHelper output)
{
    public const string SeedVariable = "ROTATOR_KILL_SEED";
    public const string TrialsVariable = "ROTATOR_KILL_TRIALS";

    /// <summary>Per issuer: 25 + 25 = 50 trials on every run.</summary>
    private const int DefaultTrials = 25;

    /// <summary>One seed per test run, shared by both issuers' trials, so one number replays the run.</summary>
    private static readonly Lazy<int> RunSeed = new(() => Setting(SeedVariable) ?? Random.Shared.Next());

    [Theory]
    [InlineData(IssuerKind.Http)]
    [InlineData(IssuerKind.Generated)]
    public async Task KilledAtRandomWrites_EveryRotationCompletesWithEveryInvariantHeld(IssuerKind issuer)
    {
        var seed = RunSeed.Value;
        var trials = Setting(TrialsVariable) ?? DefaultTrials;
        var random = new Random(unchecked((seed * 31) + (int)issuer));
        output.WriteLine($"{issuer}: seed {seed} (replay with {SeedVariable}={seed}), {trials} trials");

        var clock = Stopwatch.StartNew();
        await using var world = await CrashWorld.StartAsync(issuer);
        world.StartWorker();
        await world.WaitForRecordAsync(r => r.Phase == Phase.Completed, CrashWorld.Limit, "the bootstrap to complete");

        var writes = KillPoints.Of(issuer).Count;
        var run = 0;
        var followUps = 0;
        Kill? last = null;
        try
        {
            for (var trial = 1; trial <= trials; trial++)
            {
                // A write of the next rotation, counted from rest; then, every other trial, a second kill among the first
                // writes of the restarted worker, which are its recovery (orphans revoked, evidence recorded, steps redone).
                var number = random.Next(1, writes + 1);
                var again = random.Next(2) == 0 ? random.Next(1, 5) : 0;
                var started = clock.Elapsed;
                last = null;
                var kill = await world.KillAtWriteAsync(number, CrashWorld.Limit);
                last = kill;
                var restarted = clock.Elapsed;
                world.StartWorker();
                var line = $"trial {trial}: write {number} = {kill.Point} ({kill.Write}) in rotation {kill.Rotation}, record phase {kill.Phase}";
                if (again > 0)
                {
                    var second = await world.KillAtWriteAsync(again, CrashWorld.Limit);
                    last = second;
                    followUps++;
                    restarted = clock.Elapsed;
                    world.StartWorker();
                    line += $"; after the restart, write {again} = {second.Point} ({second.Write}) in rotation {second.Rotation}, record phase {second.Phase}";
                    if (second.Rotation is { } rotationAfter)
                    {
                        await world.WaitForCompletionAsync(rotationAfter, CrashWorld.Limit);
                    }
                }

                if (kill.Rotation is { } rotation)
                {
                    await world.WaitForCompletionAsync(rotation, CrashWorld.Limit);
                }

                run = trial;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{line}; completed {(clock.Elapsed - restarted).TotalSeconds:0.0} s after the last restart ({(clock.Elapsed - started).TotalSeconds:0.0} s in all)"));
                Assert.True(world.Invariants.Violations.Count == 0, $"trial {trial} (seed {seed}, write {number} = {kill.Point}):\n{string.Join('\n', world.Invariants.Violations)}\n{world.Tail()}");
            }

            // The worker started last goes on rotating on its own.
            var final = await world.WaitForNextRotationAsync(world.Record.RotationId, CrashWorld.Limit);
            output.WriteLine($"after the last trial, rotation {final.RotationId} completed without a kill");
        }
        catch (Exception) when (Fail($"{issuer}: trial {run + 1} failed (seed {seed}, {SeedVariable}={seed} replays it); last kill {Describe(last)}"))
        {
            throw;
        }
        finally
        {
            world.KillWorker();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{issuer}: seed {seed}, trials run {run} of {trials} ({followUps} with a second kill during recovery) in {clock.Elapsed.TotalSeconds:0.0} s"));
            output.WriteLine(world.Summary());
            foreach (var violation in world.Invariants.Violations)
            {
                output.WriteLine("violation: " + violation);
            }
        }

        Assert.Empty(world.Invariants.Violations);
        Assert.Equal(0, world.FailedRequests);
        Assert.Equal(0, world.RejectedCalls);
        Assert.True(world.Requests > 100, $"only {world.Requests} consumer requests");
        Assert.True(world.RotationsCompleted >= trials, $"{world.RotationsCompleted} rotations completed in {trials} trials");
        Secrets.AssertAbsent(world.KeysInVault, world.WorkerOutput);
    }

    private static string Describe(Kill? kill) => kill is null ? "(none yet)" : $"write {kill.WriteNumber} = {kill.Point} ({kill.Write}) in rotation {kill.Rotation}, record phase {kill.Phase}";

    private bool Fail(string message)
    {
        output.WriteLine(message);
        return false;
    }

    private static int? Setting(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
