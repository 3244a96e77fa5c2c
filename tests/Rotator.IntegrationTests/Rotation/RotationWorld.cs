using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.LocalVault;
using Rotator.Rotation;
using Serilog.Core;

namespace Rotator.IntegrationTests.Rotation;

/// <summary>How the world around the worker is set up.</summary>
internal sealed record WorldOptions
{
    public bool Generated { get; init; }

    /// <summary>Each consumer replica's refresh interval; null for one that never refreshes.</summary>
    public IReadOnlyList<TimeSpan?> Consumers { get; init; } = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(900)];

    public Action<Dictionary<string, string?>>? Configure { get; init; }

    public Action<IServiceCollection>? Services { get; init; }

    /// <summary>Probe faults for each consumer replica (by index), so that its probe endpoint flaps from the start.</summary>
    public Func<int, ProbeFaults?>? ProbeFaults { get; init; }
}

/// <summary>
/// The worker in a real Generic Host with the local vault, the sample vendor (or a sample verifier for generated
/// keys) and consumer replicas around it, all over real HTTP on 127.0.0.1, with the invariants checked after every change.
/// </summary>
internal sealed class RotationWorld : IAsyncDisposable
{
    private readonly List<ExecutionResult> results = [];
    private readonly SemaphoreSlim executed = new(0);
    private Dictionary<string, string?> workerConfig = [];
    private WorldOptions options = new();

    private Surroundings around = null!;

    public LocalVaultServer Vault => around.Vault;

    public SampleVendor? Vendor => around.Vendor;

    public SampleVerifier? Verifier => around.Verifier;

    public SecretClient Secrets => around.Secrets;

    public List<SampleConsumer> Consumers => around.Consumers;

    public IHost Worker { get; private set; } = null!;

    /// <summary>The local vault's data folder: its token and certificate, for other clients (the CLI) to use.</summary>
    public string VaultData => around.VaultData;

    /// <summary>Where the running worker's admin API, health and metrics answer.</summary>
    public Uri AdminAddress => WorkerHost.Addresses(Worker)[0];

    public ListSink Logs { get; } = new();

    public InvariantChecker Invariants { get; private set; } = null!;

    public long FailedRequests => around.FailedRequests;

    public long Requests => around.Requests;

    /// <summary>Every execution's outcome so far, in order, over every worker started in this world.</summary>
    public IReadOnlyList<ExecutionResult> Results
    {
        get
        {
            lock (results)
            {
                return [.. results];
            }
        }
    }

    /// <summary>How many times a worker was started (the first start counts).</summary>
    public int WorkerStarts { get; private set; }

    /// <summary>Every key value that reached the vault: what the outputs are searched for.</summary>
    public IReadOnlyList<string> KeysInVault => around.KeysInVault;

    public static async Task<RotationWorld> StartAsync(WorldOptions options)
    {
        var world = new RotationWorld();
        try
        {
            await world.StartPartsAsync(options);
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(WorldOptions options)
    {
        this.options = options;
        around = await Surroundings.StartAsync(
            "world",
            options.Generated,
            [.. options.Consumers.Select((refresh, i) => new ConsumerSpec(refresh, options.ProbeFaults?.Invoke(i)))],
            TimeSpan.FromMilliseconds(300));
        Invariants = new InvariantChecker(Vault, Vendor, DemoCommand.Account, DemoCommand.Secret, () => Consumers.Select(c => c.SentFingerprint));
        var config = around.WorkerConfiguration();
        config["Rotator:Keys:0:Rollout:StableFor"] = "00:00:00.500";
        options.Configure?.Invoke(config);
        workerConfig = config;
        await StartWorkerAsync();
    }

    /// <summary>
    /// Replaces the worker with a new process-like instance on the same configuration: nothing in memory survives (no
    /// scheduled retry, no gate timer), so the new one knows only what the vault records. The running execution, if
    /// any, is let finish first, so that two workers never overlap.
    /// </summary>
    public async Task RestartWorkerAsync()
    {
        await Worker.StopAsync();
        Worker.Dispose();
        await StartWorkerAsync();
    }

    private async Task StartWorkerAsync()
    {
        var builder = WorkerHost.CreateBuilder(config: null, workerConfig);
        builder.Services.AddSingleton<ILogEventSink>(Logs);
        options.Services?.Invoke(builder.Services);
        builder.AddRotator(localVaultAllowed: true);
        Worker = WorkerHost.Build(builder);
        Worker.Services.GetRequiredService<RotationObserver>().Executed += (_, result) =>
        {
            lock (results)
            {
                results.Add(result);
            }

            executed.Release();
        };
        WorkerStarts++;
        await Worker.StartAsync();
    }

    /// <summary>Waits until an execution satisfies the condition; fails with what happened if it does not come in time.</summary>
    public async Task<ExecutionResult> WaitForAsync(Func<ExecutionResult, bool> condition, TimeSpan limit, string what)
    {
        using var timeout = new CancellationTokenSource(limit);
        var seen = 0;
        while (true)
        {
            lock (results)
            {
                for (; seen < results.Count; seen++)
                {
                    if (condition(results[seen]))
                    {
                        return results[seen];
                    }
                }
            }

            try
            {
                await executed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                var last = results.LastOrDefault();
                Assert.Fail($"Waited {limit} for {what}; last phase {last?.Phase}, error {last?.Error}.\n{string.Join('\n', Logs.Lines.TakeLast(30))}");
            }
        }
    }

    /// <summary>Waits for this many completed rotations that replaced a key (bootstrap not counted).</summary>
    public async Task WaitForRotationsAsync(int count, TimeSpan limit)
    {
        var done = 0;
        await WaitForAsync(r => r.Completed is { Trigger: not RotationTrigger.Bootstrap } && ++done >= count, limit, $"{count} completed rotation(s)");
    }

    public async ValueTask DisposeAsync()
    {
        if (Worker is not null)
        {
            await Worker.StopAsync();
            Worker.Dispose();
        }

        if (around is not null)
        {
            await around.DisposeAsync();
        }

        executed.Dispose();
    }
}
