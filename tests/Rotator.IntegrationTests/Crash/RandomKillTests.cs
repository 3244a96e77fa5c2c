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

    [Theory]
    [InlineData(IssuerKind.Http)]
    [InlineData(IssuerKind.Generated)]
    public async Task KilledAtRandomWrites_EveryRotationCompletesWithEveryInvariantHeld(IssuerKind issuer)
    {
        var seed = Setting(SeedVariable) ?? Random.Shared.Next();
        var trials = Setting(TrialsVariable) ?? DefaultTrials;
        var random = new Random(seed + (int)issuer);
        output.WriteLine($"{issuer}: seed {seed} (replay with {SeedVariable}={seed}), {trials} trials");

        var clock = Stopwatch.StartNew();
        await using var world = await CrashWorld.StartAsync(issuer);
        world.StartWorker();
        await world.WaitForRecordAsync(r => r.Phase == Phase.Completed, CrashWorld.Limit, "the bootstrap to complete");

        var writes = KillPoints.Of(issuer).Count;
        var run = 0;
        Kill? last = null;
        try
        {
            for (var trial = 1; trial <= trials; trial++)
            {
                var number = random.Next(1, writes + 1);
                last = null;
                var kill = await world.KillAtWriteAsync(number, CrashWorld.Limit);
                last = kill;
                world.StartWorker();
                if (kill.Rotation is { } rotation)
                {
                    await world.WaitForRecordAsync(r => r.Phase == Phase.Completed && r.RotationId == rotation, CrashWorld.Limit, $"rotation {rotation} to complete after the restart");
                }

                run = trial;
                output.WriteLine($"trial {trial}: write {number} = {kill.Point} ({kill.Write}) in rotation {kill.Rotation}, record phase {kill.Phase}; completed");
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
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{issuer}: seed {seed}, trials run {run} of {trials} in {clock.Elapsed.TotalSeconds:0.0} s"));
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
