using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Quartz;
using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Vault;

namespace Rotator.Scheduling;

/// <summary>
/// Applies configuration changes without a restart. On every reload of the configuration it binds and validates the
/// new <see cref="RotatorOptions"/> through the options pipeline; a configuration with problems is rejected (one error
/// per problem) and the options in force stay. Otherwise <see cref="ReloadPlanner"/> decides per key, the result is put
/// in force through <see cref="RotatorOptionsMonitor"/>, and the scheduler follows: keys added are registered, keys
/// rescheduled get new triggers, keys removed lose their job. A change that must wait for a key to come to rest is
/// planned again after each of that key's executions that ends at rest.
/// </summary>
internal sealed class ConfigurationReloader(
    IConfiguration configuration,
    IOptionsFactory<RotatorOptions> factory,
    RotatorOptionsMonitor monitor,
    ISchedulerFactory schedulers,
    RotationScheduler scheduler,
    KeyStates states,
    KeyLocks locks,
    RotationObserver observer,
    IVault vault,
    IServiceProvider services,
    ILogger<ConfigurationReloader> logger) : BackgroundService
{
    private readonly Channel<Signal> signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private RotatorOptions desired = null!;
    private ImmutableHashSet<string> waiting = [];
    private IScheduler quartz = null!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var file = services.GetService<ConfigurationFile>();
        desired = monitor.CurrentValue;
        quartz = await schedulers.GetScheduler(stoppingToken);
        observer.Executed += OnExecuted;
        using var reloads = ChangeToken.OnChange(configuration.GetReloadToken, () => signals.Writer.TryWrite(Signal.Reloaded(file)));
        try
        {
            await foreach (var signal in signals.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await HandleAsync(signal, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    ReloadLog.ApplyFailed(logger, e.GetType().FullName ?? e.GetType().Name, e.StackTrace ?? "");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            observer.Executed -= OnExecuted;
        }
    }

    private void OnExecuted(string key, ExecutionResult result)
    {
        if (result.Phase.IsAtRest() && Volatile.Read(ref waiting).Contains(key))
        {
            signals.Writer.TryWrite(new Signal(Reload: false, LoadError: null));
        }
    }

    private async Task HandleAsync(Signal signal, CancellationToken cancellationToken)
    {
        if (!signal.Reload)
        {
            await ReconcileAsync(announce: false, cancellationToken);
            return;
        }

        if (signal.LoadError is { } error)
        {
            ReloadLog.Rejected(logger, error + ".");
            return;
        }

        var (candidate, problems) = Read();
        if (candidate is null)
        {
            foreach (var problem in problems)
            {
                ReloadLog.Rejected(logger, problem);
            }

            return;
        }

        desired = candidate;
        await ReconcileAsync(announce: true, cancellationToken);
    }

    /// <summary>The new options through the registered pipeline: binding, configure, post-configure and every validator.</summary>
    private (RotatorOptions? Options, IReadOnlyList<string> Problems) Read()
    {
        try
        {
            return (factory.Create(Options.DefaultName), []);
        }
        catch (OptionsValidationException e)
        {
            return (null, [.. e.Failures]);
        }
        catch (InvalidOperationException)
        {
            // The binder's message quotes the value, which may be secret.
            return (null, ["a value in the Rotator section could not be converted to its type (a duration, number, URL or flag); run the validate command on the file to see which."]);
        }
    }

    private async Task ReconcileAsync(bool announce, CancellationToken cancellationToken)
    {
        var current = monitor.CurrentValue;
        var needed = ReloadPlanner.PhasesNeeded(current, desired);
        ReloadPlan plan;
        using (await locks.EnterAllAsync(needed, cancellationToken))
        {
            var phases = new Dictionary<string, Phase>(StringComparer.Ordinal);
            foreach (var key in current.Keys.Where(k => needed.Contains(k.Name)))
            {
                if (await PhaseAsync(key, cancellationToken) is { } phase)
                {
                    phases[key.Name] = phase;
                }
            }

            plan = ReloadPlanner.Plan(current, desired, phases);
            if (announce || plan.Applied.Any())
            {
                monitor.Replace(plan.Effective);
            }
        }

        var before = waiting;
        Volatile.Write(ref waiting, [.. plan.Deferred.Select(c => c.Key)]);
        foreach (var change in plan.Deferred.Where(c => announce || !before.Contains(c.Key)))
        {
            ReloadLog.Deferred(logger, change.Key, change.Change, change.Waits!);
        }

        foreach (var change in plan.Applied)
        {
            await ApplyAsync(change, plan.Effective, cancellationToken);
        }

        if (announce)
        {
            foreach (var setting in plan.RestartNeeded)
            {
                ReloadLog.RestartNeeded(logger, setting);
            }

            if (plan.Changes.Count == 0)
            {
                ReloadLog.Unchanged(logger);
            }
        }
    }

    private async Task ApplyAsync(PlannedChange change, RotatorOptions effective, CancellationToken cancellationToken)
    {
        var key = effective.Keys.FirstOrDefault(k => k.Name == change.Key);
        switch (change.Change)
        {
            case KeyChange.Added:
                await scheduler.RegisterAsync(quartz, key!, cancellationToken);
                ReloadLog.Added(logger, change.Key);
                break;
            case KeyChange.Removed:
                await RotationScheduler.RemoveAsync(quartz, change.Key, cancellationToken);
                states.Forget(change.Key);
                ReloadLog.Removed(logger, change.Key);
                break;
            case KeyChange.Redefined:
                states.Forget(change.Key);
                await scheduler.RegisterAsync(quartz, key!, cancellationToken);
                ReloadLog.Redefined(logger, change.Key);
                break;
            case KeyChange.Rescheduled:
                await scheduler.RegisterAsync(quartz, key!, cancellationToken);
                ReloadLog.Rescheduled(logger, change.Key);
                break;
            default:
                ReloadLog.Updated(logger, change.Key);
                break;
        }
    }

    /// <summary>The key's phase: from the last execution when it read the record, else from the vault; null when unknown.</summary>
    private async Task<Phase?> PhaseAsync(ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        if (states.Get(key.Name) is { Error: null } state)
        {
            return state.Phase;
        }

        try
        {
            var control = await vault.GetAsync(SecretNames.Control(key.Secret), null, cancellationToken);
            return control is null ? Phase.Idle : ControlRecord.FromTags(control.Tags).Phase;
        }
        catch (VaultException)
        {
            return null;
        }
    }

    /// <param name="Reload">True for a configuration reload; false when a key whose change waits came to rest.</param>
    /// <param name="LoadError">Why the configuration file could not be read, when it could not.</param>
    private sealed record Signal(bool Reload, string? LoadError)
    {
        public static Signal Reloaded(ConfigurationFile? file) =>
            new(true, file?.TakeLoadError() ?? (file is { Exists: false } ? $"{file.Path} is missing" : null));
    }
}
