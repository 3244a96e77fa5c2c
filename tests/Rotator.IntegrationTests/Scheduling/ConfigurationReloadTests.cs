using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;
using Rotator.Cli;
using Rotator.Configuration;
using Rotator.Demo;
using Rotator.Rotation;
using Rotator.Scheduling;
using Serilog.Core;
using Serilog.Events;

namespace Rotator.IntegrationTests.Scheduling;

/// <summary>
/// A real worker reading its configuration from a directory laid out like a mounted ConfigMap, updated by swapping
/// <c>..data</c>: a schedule change takes effect without a restart, a bad edit is rejected, and removing a key in the
/// middle of its rotation waits until the rotation has finished.
/// </summary>
public sealed class ConfigurationReloadTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ConfigMapSwap_ReschedulesWithoutRestart_RejectsABadEdit_AndRemovesAKeyOnlyOnceItsRotationFinished()
    {
        await using var around = await Surroundings.StartAsync("reload", generated: false, [new(TimeSpan.FromMilliseconds(200)), new(TimeSpan.FromMilliseconds(300))], TimeSpan.FromMilliseconds(300));
        var config = around.WorkerConfiguration();
        config["Rotator:Keys:0:Rollout:StableFor"] = "00:00:00.500";
        config["Rotator:Keys:0:Schedule:Interval"] = "1.00:00:00";
        var mount = new ConfigMapDirectory(Path.Combine(around.Folder.FullName, "etc-rotator"));
        mount.Publish(ConfigMapDirectory.Json(config));

        var logs = new WaitingSink();
        var builder = WorkerHost.CreateBuilder(new FileInfo(mount.FilePath));
        builder.Services.AddSingleton<ILogEventSink>(logs);
        builder.AddRotator(localVaultAllowed: true);
        using var worker = WorkerHost.Build(builder);
        var results = new Results(worker.Services.GetRequiredService<RotationObserver>());
        var options = worker.Services.GetRequiredService<IOptionsMonitor<RotatorOptions>>();
        var quartz = await worker.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await worker.StartAsync();
        try
        {
            // Bootstrapped, then at rest for a day.
            await results.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, "the bootstrap");

            // 1. A shorter interval in a new ConfigMap version: the overdue key rotates without a restart.
            config["Rotator:Keys:0:Schedule:Interval"] = "00:00:01";
            var mark = results.Count;
            mount.Publish(ConfigMapDirectory.Json(config));
            await logs.WaitForAsync("key \"demo\" rescheduled");
            await results.WaitForAsync(r => r.Completed is { Trigger: not RotationTrigger.Bootstrap }, "a rotation on the new schedule", mark);
            Assert.Equal(TimeSpan.FromSeconds(1), options.CurrentValue.Keys.Single().Schedule.Interval);

            // 2. A bad edit: rejected with one error per problem; the previous schedule stays in force and keeps rotating.
            var bad = new Dictionary<string, string?>(config) { ["Rotator:Keys:0:Schedule:Interval"] = "-00:00:01", ["Rotator:Keys:0:Schedule:Window:Days:0"] = "Funday" };
            mount.Publish(ConfigMapDirectory.Json(bad));
            var rejected = await logs.WaitForAsync("Configuration change rejected");
            // One line per problem; they may arrive a moment after the first.
            await logs.WaitForAsync("rejected: \"Keys[demo].Schedule.Interval");
            await logs.WaitForAsync("rejected: \"Keys[demo].Schedule.Window.Days: \\\"Funday\\\"");
            Assert.Equal(TimeSpan.FromSeconds(1), options.CurrentValue.Keys.Single().Schedule.Interval);
            mark = results.Count;
            await results.WaitForAsync(r => r.Completed is not null, "a rotation on the previous schedule after the rejection", mark);

            // 3. Remove the key while a rotation is rolling out: it waits, the rotation goes on under the old definition…
            around.Consumers[0].ProbeFaults = new ProbeFaults(1, 1, [ProbeFault.Unavailable]);
            mark = results.Count;
            await results.WaitForAsync(r => r.Phase == Phase.RollingOut, "a rotation rolling out", mark);
            var removed = new Dictionary<string, string?>(config.Where(e => !e.Key.StartsWith("Rotator:Keys:", StringComparison.Ordinal)));
            mount.Publish(ConfigMapDirectory.Json(removed));
            await logs.WaitForAsync("the change to key \"demo\" (Removed) waits because \"it is RollingOut");
            Assert.Single(options.CurrentValue.Keys);
            Assert.NotNull(await quartz.GetJobDetail(RotationScheduler.JobKeyOf("demo")));

            // …and once the consumers switch and it completes, the key is removed.
            mark = results.Count;
            around.Consumers[0].ProbeFaults = null;
            await results.WaitForAsync(r => r.Completed is not null, "the rotation in flight to complete", mark);
            await logs.WaitForAsync("key \"demo\" removed");
            Assert.Empty(options.CurrentValue.Keys);
            Assert.Null(await quartz.GetJobDetail(RotationScheduler.JobKeyOf("demo")));
            Assert.DoesNotContain(logs.Lines, l => l.Contains("Applying the configuration change failed", StringComparison.Ordinal));
            Assert.NotNull(rejected);
            Secrets.AssertAbsent(around.KeysInVault, logs.Text);
        }
        finally
        {
            await worker.StopAsync();
        }
    }

    /// <summary>The worker's log, with a wait for a line.</summary>
    private sealed class WaitingSink : ILogEventSink
    {
        private readonly ListSink inner = new();
        private readonly SemaphoreSlim arrived = new(0);

        public IReadOnlyList<string> Lines => inner.Lines;

        public string Text => inner.Text;

        public void Emit(LogEvent logEvent)
        {
            inner.Emit(logEvent);
            arrived.Release();
        }

        public async Task<string> WaitForAsync(string text)
        {
            using var timeout = new CancellationTokenSource(Limit);
            var next = 0;
            while (true)
            {
                var lines = Lines;
                for (; next < lines.Count; next++)
                {
                    if (lines[next].Contains(text, StringComparison.Ordinal))
                    {
                        return lines[next];
                    }
                }

                try
                {
                    await arrived.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"Waited {Limit} for a log line with \"{text}\".\n{string.Join('\n', Lines.TakeLast(30))}");
                }
            }
        }
    }

    /// <summary>Every execution's outcome, in order, with a wait on the next one.</summary>
    private sealed class Results
    {
        private readonly List<ExecutionResult> seen = [];
        private readonly SemaphoreSlim arrived = new(0);

        public Results(RotationObserver observer) => observer.Executed += (_, result) =>
        {
            lock (seen)
            {
                seen.Add(result);
            }

            arrived.Release();
        };

        public int Count
        {
            get
            {
                lock (seen)
                {
                    return seen.Count;
                }
            }
        }

        public async Task WaitForAsync(Func<ExecutionResult, bool> condition, string what, int from = 0)
        {
            using var timeout = new CancellationTokenSource(Limit);
            var next = from;
            while (true)
            {
                lock (seen)
                {
                    for (; next < seen.Count; next++)
                    {
                        if (condition(seen[next]))
                        {
                            return;
                        }
                    }
                }

                try
                {
                    await arrived.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"Waited {Limit} for {what}.");
                }
            }
        }
    }
}
