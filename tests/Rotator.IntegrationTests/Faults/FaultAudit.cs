using System.Globalization;
using Rotator.Cli;
using Rotator.IntegrationTests.Rotation;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// Watches a world under faults: every control record the vault commits (attempt counts, phases), and at the end the
/// checks every fault test shares: the invariants after every change, one version per rotation id, never a third key,
/// no failed consumer request, and no key in any output.
/// </summary>
internal sealed class FaultAudit
{
    private readonly RotationWorld world;
    private readonly ITestOutputHelper output;
    private readonly Lock gate = new();
    private readonly List<ControlRecord> records = [];

    public FaultAudit(RotationWorld world, int seed, ITestOutputHelper output)
    {
        this.world = world;
        this.output = output;
        Seed = seed;
        var inner = world.Vault.AfterCommit;
        world.Vault.AfterCommit = async (write, ct) =>
        {
            if (inner is not null)
            {
                await inner(write, ct);
            }

            if (write.SecretName.Equals(DemoCommand.Secret + "-rotator", StringComparison.OrdinalIgnoreCase))
            {
                lock (gate)
                {
                    records.Add(ControlRecord.FromTags(write.Tags));
                }
            }
        };
    }

    public int Seed { get; }

    /// <summary>Every control record the vault committed, in order.</summary>
    public IReadOnlyList<ControlRecord> Records
    {
        get
        {
            lock (gate)
            {
                return [.. records];
            }
        }
    }

    /// <summary>The highest failed-attempt count any record carried: what <c>Retry:MaxAttempts</c> must stay above.</summary>
    public int MaxAttemptsRecorded => Records.Select(r => r.Attempts).DefaultIfEmpty().Max();

    /// <summary>The control record as the vault holds it now.</summary>
    public ControlRecord Current()
    {
        var control = world.Vault.Snapshot()
            .Where(v => v.Name.Equals(DemoCommand.Secret + "-rotator", StringComparison.OrdinalIgnoreCase))
            .MaxBy(v => v.Sequence);
        return control is null ? new ControlRecord() : ControlRecord.FromTags(control.Tags);
    }

    /// <summary>Completed rotations that replaced a key (the bootstrap not counted).</summary>
    public int Rotations => world.Results.Count(r => r.Completed is { Trigger: not RotationTrigger.Bootstrap });

    /// <summary>Stops the worker, so that what follows reads a world at rest.</summary>
    public async Task StopAsync() => await world.Worker.StopAsync();

    public void AssertSafe()
    {
        var context = $"(seed {Seed}; {FaultSeed.Variable}={Seed} repeats it)";
        Assert.True(world.Invariants.Violations.Count == 0, $"invariants broken {context}:\n{string.Join('\n', world.Invariants.Violations)}");
        Assert.True(world.Invariants.Checks > 0, $"no invariant check ran {context}");

        var snapshot = world.Vault.Snapshot();
        var versions = snapshot.Where(v => v.Name.Equals(DemoCommand.Secret, StringComparison.OrdinalIgnoreCase)).ToList();
        var duplicates = versions
            .Where(v => v.Tags.ContainsKey(VersionTags.Rotation))
            .GroupBy(v => v.Tags[VersionTags.Rotation])
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: versions {string.Join(", ", g.Select(v => v.Version))}")
            .ToList();
        Assert.True(duplicates.Count == 0, $"one rotation wrote more than one version {context}:\n{string.Join('\n', duplicates)}");

        var sequences = versions.Select(v => v.Tags.GetValueOrDefault(VersionTags.Sequence)).ToList();
        Assert.True(sequences.Distinct().Count() == sequences.Count, $"a sequence number was used twice {context}: {string.Join(",", sequences)}");

        if (world.Vendor is { } vendor)
        {
            var active = vendor.Keys(DemoCommand.Account).Count(k => !k.Revoked);
            Assert.True(active <= vendor.MaxActiveKeys, $"{active} active keys at the vendor {context}");
        }

        Assert.True(world.FailedRequests == 0, $"{world.FailedRequests} consumer requests failed {context}");
        Assert.True(world.Requests > 0, $"no consumer request was sent {context}");

        Secrets.AssertAbsent(world.KeysInVault, EveryOutput());
    }

    /// <summary>Every log line, every error an execution reported, and every tag in the vault: where a key must never be.</summary>
    public string EveryOutput()
    {
        var tags = world.Vault.Snapshot().SelectMany(v => v.Tags.Select(t => $"{v.Name} {t.Key}={t.Value}"));
        var errors = world.Results.Select(r => r.Error).OfType<string>();
        return string.Join('\n', world.Logs.Lines.Concat(errors).Concat(tags));
    }

    public void Print(string what)
    {
        var results = world.Results;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {Rotations} rotations completed, {results.Count} executions, {results.Count(r => r.Error is not null)} failed steps, " +
            $"max attempts recorded {MaxAttemptsRecorded}, consumer requests {world.Requests} (failed {world.FailedRequests}), " +
            $"invariant checks {world.Invariants.Checks}, worker starts {world.WorkerStarts}"));
    }
}
