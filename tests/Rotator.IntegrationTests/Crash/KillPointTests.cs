using System.Diagnostics;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Crash;

/// <summary>
/// Crash safety, proven by killing the process: for every write of the protocol and both issuers, the worker is
/// SIGKILLed right after that write is committed and before it hears the answer, then started again; the rotation
/// must finish with every invariant held after every change and no consumer request failed.
/// </summary>
[Collection(KillCollection.Name)]
public sealed class KillPointTests(KillPointTests.Worlds worlds, ITestOutputHelper output) : IClassFixture<KillPointTests.Worlds>
{
    public static TheoryData<IssuerKind, KillPoint> Points()
    {
        var data = new TheoryData<IssuerKind, KillPoint>();
        foreach (var issuer in Enum.GetValues<IssuerKind>())
        {
            foreach (var point in KillPoints.Of(issuer))
            {
                data.Add(issuer, point);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Points))]
    public async Task KilledRightAfterTheWrite_TheRestartedWorkerFinishesTheRotationWithEveryInvariantHeld(IssuerKind issuer, KillPoint point)
    {
        var clock = Stopwatch.StartNew();
        var world = await worlds.GetAsync(issuer);
        var violationsBefore = world.Invariants.Violations.Count;
        var failedBefore = world.FailedRequests;
        var rejectedBefore = world.RejectedCalls;
        var completedBefore = world.RotationsCompleted;
        var lastCompletedBefore = world.Record.LastCompleted;
        var healthy = false;
        try
        {
            var kill = await world.KillAtAsync(point, CrashWorld.Limit);
            output.WriteLine($"killed after {kill.Write} in rotation {kill.Rotation} (record phase {kill.Phase})");
            Assert.Equal(point, kill.Point);

            world.StartWorker();
            var finished = await world.WaitForRecordAsync(r => r.Phase == Phase.Completed && r.RotationId == kill.Rotation, CrashWorld.Limit, $"rotation {kill.Rotation} to complete after the restart");
            output.WriteLine($"rotation {finished.RotationId} completed after the restart");
            Assert.True(finished.LastCompleted > lastCompletedBefore, $"the record of completion of {finished.RotationId} ({finished.LastCompleted:O}) is not newer than the one before the kill ({lastCompletedBefore:O})");
            if (point == KillPoint.CompletedRecord)
            {
                // The kill came after the rotation's last write: the restarted worker must also start and finish the next one.
                var next = await world.WaitForNextRotationAsync(kill.Rotation, CrashWorld.Limit);
                output.WriteLine($"and the next rotation {next.RotationId} completed too");
            }

            var violations = world.Invariants.Violations.Skip(violationsBefore).ToList();
            Assert.True(violations.Count == 0, $"invariants violated:\n{string.Join('\n', violations)}\n{world.Tail()}");
            Assert.Equal(failedBefore, world.FailedRequests);
            Assert.Equal(rejectedBefore, world.RejectedCalls);
            healthy = true;
        }
        finally
        {
            worlds.Finished(issuer, healthy);
            output.WriteLine($"{issuer} kill at {point}: {(healthy ? "passed" : "FAILED")} in {clock.Elapsed.TotalSeconds:0.0} s; rotations completed during this test {world.RotationsCompleted - completedBefore}, violations {world.Invariants.Violations.Count - violationsBefore}");
            output.WriteLine(world.Summary());
        }
    }

    /// <summary>
    /// One world per issuer, shared by the rows: each row's rotation starts from the last one's completion. A row that
    /// fails leaves its world behind, and the next row of that issuer starts a fresh one.
    /// </summary>
    public sealed class Worlds : IAsyncLifetime
    {
        private readonly Dictionary<IssuerKind, CrashWorld> worlds = [];
        private readonly List<CrashWorld> retired = [];

        internal async Task<CrashWorld> GetAsync(IssuerKind issuer)
        {
            if (worlds.TryGetValue(issuer, out var world))
            {
                return world;
            }

            world = await CrashWorld.StartAsync(issuer);
            worlds[issuer] = world;
            world.StartWorker();
            await world.WaitForRecordAsync(r => r.Phase == Phase.Completed, CrashWorld.Limit, "the bootstrap to complete");
            return world;
        }

        internal void Finished(IssuerKind issuer, bool healthy)
        {
            if (!healthy && worlds.Remove(issuer, out var world))
            {
                world.KillWorker();
                retired.Add(world);
            }
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            foreach (var world in worlds.Values.Concat(retired))
            {
                await world.DisposeAsync();
            }
        }
    }
}
