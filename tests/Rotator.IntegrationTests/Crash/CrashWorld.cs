using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Security.KeyVault.Secrets;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.IntegrationTests.Cli;
using Rotator.IntegrationTests.Rotation;
using Rotator.LocalVault;
using Rotator.Rotation;

namespace Rotator.IntegrationTests.Crash;

/// <summary>One kill: which write it followed, in which rotation, and what the record said then.</summary>
internal sealed record Kill(KillPoint Point, string Write, string? Rotation, Phase Phase, int WriteNumber);

/// <summary>
/// The world around a worker that runs as its own OS process: the local vault, the sample vendor (or the sample
/// verifier for generated keys) and consumer replicas in this process, over real HTTP(S) on 127.0.0.1. The vault's
/// and the vendor's commit hooks check the invariants after every accepted change and, when a kill is armed, SIGKILL
/// the worker after the chosen write is committed and before its answer is sent.
/// </summary>
internal sealed class CrashWorld : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);

    private readonly Lock sync = new();
    private readonly List<RotatorProcess> workers = [];
    private readonly Dictionary<KillPoint, int> kills = [];
    private readonly HashSet<string> completed = [];
    private Func<KillPoint, int, bool>? armed;
    private Phase? lastRecordPhase;
    private int writesSinceArmed;
    private TaskCompletionSource<Kill>? killed;

    private Surroundings around = null!;

    private CrashWorld(IssuerKind issuer) => Issuer = issuer;

    public IssuerKind Issuer { get; }

    public LocalVaultServer Vault => around.Vault;

    public SampleVendor? Vendor => around.Vendor;

    public SampleVerifier? Verifier => around.Verifier;

    public SecretClient Secrets => around.Secrets;

    public List<SampleConsumer> Consumers => around.Consumers;

    public InvariantChecker Invariants { get; private set; } = null!;

    public string ConfigFile => Path.Combine(around.Folder.FullName, "rotator.json");

    public long FailedRequests => around.FailedRequests;

    public long Requests => around.Requests;

    /// <summary>Calls the vendor or the verifier refused: a key that was revoked too early, or accepted too late.</summary>
    public long RejectedCalls => Vendor?.RejectedCalls ?? Verifier!.RejectedCalls;

    public int WorkerStarts
    {
        get
        {
            lock (sync)
            {
                return workers.Count;
            }
        }
    }

    public IReadOnlyDictionary<KillPoint, int> Kills
    {
        get
        {
            lock (sync)
            {
                return new Dictionary<KillPoint, int>(kills);
            }
        }
    }

    /// <summary>Rotations (bootstrap not counted) whose record of completion the vault accepted.</summary>
    public int RotationsCompleted
    {
        get
        {
            lock (sync)
            {
                return completed.Count;
            }
        }
    }

    /// <summary>The control record as the vault holds it now.</summary>
    public ControlRecord Record => RecordIn(Vault.Snapshot());

    /// <summary>What every worker process printed, in order of their starts.</summary>
    public string WorkerOutput
    {
        get
        {
            lock (sync)
            {
                return string.Join('\n', workers.Select((w, i) => $"--- worker start {i + 1} ---\n{w.Output}"));
            }
        }
    }

    /// <summary>Every key value that reached the vault: what the outputs are searched for.</summary>
    public IReadOnlyList<string> KeysInVault => around.KeysInVault;

    /// <param name="configure">Changes to the worker's configuration (flat keys, <c>Rotator:Retry:MaxAttempts</c>).</param>
    public static async Task<CrashWorld> StartAsync(IssuerKind issuer, Action<Dictionary<string, string?>>? configure = null)
    {
        var world = new CrashWorld(issuer);
        try
        {
            await world.StartPartsAsync(configure);
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(Action<Dictionary<string, string?>>? configure)
    {
        around = await Surroundings.StartAsync(
            "crash",
            Issuer == IssuerKind.Generated,
            [new ConsumerSpec(TimeSpan.FromMilliseconds(100)), new ConsumerSpec(TimeSpan.FromMilliseconds(200)), new ConsumerSpec(TimeSpan.FromMilliseconds(300))],
            TimeSpan.FromMilliseconds(150));
        Invariants = new InvariantChecker(Vault, Vendor, DemoCommand.Account, DemoCommand.Secret, () => Consumers.Select(c => c.SentFingerprint))
        {
            AtRest = true,
            AfterVaultCheck = (write, _) =>
            {
                OnVaultWrite(write);
                return Task.CompletedTask;
            },
            AfterVendorCheck = (write, _) =>
            {
                OnVendorWrite(write);
                return Task.CompletedTask;
            },
        };
        var config = around.WorkerConfiguration();
        config["Rotator:Retry:BaseDelay"] = "00:00:00.100";
        config["Rotator:Retry:MaxDelay"] = "00:00:01";
        config["Rotator:Keys:0:Rollout:StableFor"] = "00:00:00.300";
        config["Rotator:Keys:0:Rollout:StalledPollInterval"] = "00:00:00.500";
        if (Issuer == IssuerKind.Http)
        {
            config["Rotator:Keys:0:Issuer:Http:Verify:Delay"] = "00:00:00.100";
        }

        configure?.Invoke(config);
        await File.WriteAllTextAsync(ConfigFile, Nest(config).ToJsonString());
        Directory.CreateDirectory(Path.Combine(around.Folder.FullName, "work"));
    }

    /// <summary>Turns flat configuration keys (<c>Rotator:Keys:0:Name</c>) into the nested JSON a configuration file holds.</summary>
    internal static JsonObject Nest(IEnumerable<KeyValuePair<string, string?>> flat)
    {
        var root = new JsonObject();
        foreach (var (key, value) in flat)
        {
            var parts = key.Split(':');
            var node = root;
            foreach (var part in parts[..^1])
            {
                if (node[part] is not JsonObject child)
                {
                    child = [];
                    node[part] = child;
                }

                node = child;
            }

            node[parts[^1]] = value;
        }

        return root;
    }

    /// <summary>Starts a worker process: the prebuilt <c>Rotator.dll run --config</c>, in the Development environment.</summary>
    public void StartWorker()
    {
        lock (sync)
        {
            if (workers.Count > 0 && !workers[^1].HasExited)
            {
                throw new InvalidOperationException("A worker is already running; two at once is not what these tests are about.");
            }

            workers.Add(RotatorProcess.Start(
                ["run", "--config", ConfigFile],
                Path.Combine(around.Folder.FullName, "work"),
                new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" }));
        }
    }

    /// <summary>SIGKILLs the running worker, if any.</summary>
    public void KillWorker()
    {
        RotatorProcess? current;
        lock (sync)
        {
            current = workers.LastOrDefault();
        }

        current?.Kill();
    }

    /// <summary>Kills the worker right after the next write of this kind is committed; returns when it happened.</summary>
    public Task<Kill> KillAtAsync(KillPoint point, TimeSpan limit) => ArmAsync((kind, _) => kind == point, limit, $"a {point} write");

    /// <summary>
    /// Kills the worker right after the next write of this kind, unless the key goes to NeedsAttention first: then
    /// disarms and returns null.
    /// </summary>
    public async Task<Kill?> KillAtOrStopAsync(KillPoint point, TimeSpan limit)
    {
        TaskCompletionSource<Kill> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (sync)
        {
            writesSinceArmed = 0;
            killed = done;
            armed = (kind, _) => kind == point;
        }

        var clock = Stopwatch.StartNew();
        while (!done.Task.IsCompleted)
        {
            var record = Record;
            if (record.Phase == Phase.NeedsAttention || clock.Elapsed > limit)
            {
                lock (sync)
                {
                    armed = null;
                    killed = null;
                }

                if (done.Task.IsCompleted)
                {
                    break;
                }

                Assert.True(record.Phase == Phase.NeedsAttention, $"No kill at a {point} write within {limit}: phase {record.Phase}, rotation {record.RotationId}, error {record.Error}.\n{Tail()}");
                return null;
            }

            await Task.Delay(PollEvery, TimeProvider.System);
        }

        return await done.Task;
    }

    /// <summary>Kills the worker right after the n-th write (any kind) from now is committed; returns when it happened.</summary>
    public Task<Kill> KillAtWriteAsync(int number, TimeSpan limit) => ArmAsync((_, n) => n == number, limit, $"write number {number}");

    private async Task<Kill> ArmAsync(Func<KillPoint, int, bool> when, TimeSpan limit, string what)
    {
        TaskCompletionSource<Kill> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (sync)
        {
            writesSinceArmed = 0;
            killed = done;
            armed = when;
        }

        try
        {
            return await done.Task.WaitAsync(limit, TimeProvider.System);
        }
        catch (TimeoutException)
        {
            lock (sync)
            {
                armed = null;
            }

            var record = Record;
            Assert.Fail($"No kill at {what} within {limit}: phase {record.Phase}, rotation {record.RotationId}, error {record.Error}.\n{Tail()}");
            throw;
        }
    }

    /// <summary>Polls the vault's control record until the condition holds; fails with the phase and last error if it does not in time.</summary>
    public async Task<ControlRecord> WaitForRecordAsync(Func<ControlRecord, bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var record = Record;
            if (condition(record))
            {
                return record;
            }

            bool exited;
            lock (sync)
            {
                exited = workers.Count > 0 && workers[^1].HasExited;
            }

            if (record.Phase == Phase.NeedsAttention || exited || clock.Elapsed > limit)
            {
                var why = record.Phase == Phase.NeedsAttention ? "the key went to NeedsAttention" : exited ? "the worker exited" : $"{limit} passed";
                Assert.Fail($"Waiting for {what}, {why}: phase {record.Phase}, rotation {record.RotationId}, attempts {record.Attempts}, error {record.Error ?? "(none)"}.\n{Tail()}");
            }

            await Task.Delay(PollEvery, TimeProvider.System);
        }
    }

    /// <summary>Waits until the vault has accepted the record of completion of this rotation (seen by the commit hook, so never missed between polls).</summary>
    public Task<ControlRecord> WaitForCompletionAsync(string rotation, TimeSpan limit) =>
        WaitForRecordAsync(_ => HasCompleted(rotation), limit, $"rotation {rotation} to complete");

    public bool HasCompleted(string rotation)
    {
        lock (sync)
        {
            return completed.Contains(rotation);
        }
    }

    /// <summary>Waits for a rotation other than <paramref name="after"/> to complete.</summary>
    public Task<ControlRecord> WaitForNextRotationAsync(string? after, TimeSpan limit) =>
        WaitForRecordAsync(r => r.Phase == Phase.Completed && r.RotationId != after && r.Trigger != RotationTrigger.Bootstrap, limit, $"a rotation after {after ?? "the bootstrap"} to complete");

    /// <summary>The worker's last lines, across its restarts, for failure messages.</summary>
    public string Tail(int lines = 40)
    {
        var all = WorkerOutput.Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    public string Summary() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Issuer}: worker starts {WorkerStarts}, kills per write {Describe(Kills)}, rotations completed {RotationsCompleted}, invariant checks {Invariants.Checks}, violations {Invariants.Violations.Count}, consumer requests {Requests} (failed {FailedRequests}), rejected calls {RejectedCalls}");

    public static string Describe(IReadOnlyDictionary<KillPoint, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));

    private static ControlRecord RecordIn(IReadOnlyList<LocalVaultSecretVersion> snapshot)
    {
        var control = snapshot.Where(v => v.Name.Equals(DemoCommand.Secret + "-rotator", StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Sequence).LastOrDefault();
        return control is null ? new ControlRecord() : ControlRecord.FromTags(control.Tags);
    }

    private void OnVaultWrite(LocalVaultWrite write)
    {
        var snapshot = Vault.Snapshot();
        var record = RecordIn(snapshot);
        var point = Classify(write, record);
        if (point == KillPoint.CompletedRecord && record.Trigger != RotationTrigger.Bootstrap && record.RotationId is { } rotation)
        {
            lock (sync)
            {
                completed.Add(rotation);
            }
        }

        MaybeKill(point, $"vault {write.Operation} {write.SecretName} (phase tag {write.Tags.GetValueOrDefault(ControlRecord.Tags.Phase) ?? "-"})", record);
    }

    private void OnVendorWrite(VendorWrite write)
    {
        var record = Record;
        var point = write.Operation switch
        {
            VendorOperation.Create => KillPoint.Create,
            VendorOperation.Revoke when record.Phase == Phase.Revoking => KillPoint.Revoke,
            _ => KillPoint.Other,
        };
        MaybeKill(point, $"vendor {write.Operation} {write.KeyId} ({write.Label})", record);
    }

    private KillPoint Classify(LocalVaultWrite write, ControlRecord record)
    {
        var secret = DemoCommand.Secret;
        if (write.SecretName.Equals(secret, StringComparison.OrdinalIgnoreCase))
        {
            return KillPoint.Set;
        }

        if (write.SecretName.Equals(secret + "-accepted", StringComparison.OrdinalIgnoreCase))
        {
            return record.Phase switch
            {
                Phase.Minted => KillPoint.AcceptedAdd,
                Phase.Revoking => KillPoint.Revoke,
                _ => KillPoint.Other,
            };
        }

        if (!write.SecretName.Equals(secret + "-rotator", StringComparison.OrdinalIgnoreCase))
        {
            return KillPoint.Other;
        }

        // A record that only counts an attempt or an error repeats the phase of the one before it: not a step's write.
        var written = ControlRecord.FromTags(write.Tags);
        Phase? previous;
        lock (sync)
        {
            previous = lastRecordPhase;
            lastRecordPhase = written.Phase;
        }

        if (previous == written.Phase)
        {
            return KillPoint.Other;
        }

        return written.Phase switch
        {
            Phase.Intent => written.Trigger == RotationTrigger.Schedule ? KillPoint.Intent : KillPoint.Other,
            Phase.Minted => Issuer == IssuerKind.Generated ? KillPoint.Create : KillPoint.MintedRecord,
            Phase.Stored => KillPoint.StoredRecord,
            Phase.RollingOut => KillPoint.RollingOutRecord,
            Phase.Revoking => KillPoint.RevokingRecord,
            Phase.Completed => KillPoint.CompletedRecord,
            _ => KillPoint.Other,
        };
    }

    private void MaybeKill(KillPoint point, string write, ControlRecord record)
    {
        TaskCompletionSource<Kill>? done = null;
        Kill? kill = null;
        lock (sync)
        {
            if (armed is { } when)
            {
                writesSinceArmed++;
                if (when(point, writesSinceArmed))
                {
                    // Inside the commit hook: the write is durable, its answer not yet sent. The worker never hears it.
                    workers.LastOrDefault()?.Kill();
                    kill = new Kill(point, write, record.RotationId, record.Phase, writesSinceArmed);
                    kills[point] = kills.GetValueOrDefault(point) + 1;
                    armed = null;
                    done = killed;
                    killed = null;
                }
            }
        }

        if (kill is not null)
        {
            done?.TrySetResult(kill);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (sync)
        {
            armed = null;
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        if (around is not null)
        {
            await around.DisposeAsync();
        }

    }
}
