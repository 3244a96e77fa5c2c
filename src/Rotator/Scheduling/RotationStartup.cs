using Microsoft.Extensions.Options;
using Quartz;
using Rotator.Configuration;

namespace Rotator.Scheduling;

/// <summary>At start-up, registers every managed key with the scheduler and reconciles each once, so rotations in flight resume.</summary>
internal sealed class RotationStartup(ISchedulerFactory schedulers, RotationScheduler scheduler, IOptionsMonitor<RotatorOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var quartz = await schedulers.GetScheduler(cancellationToken);
        foreach (var key in options.CurrentValue.Keys)
        {
            await scheduler.RegisterAsync(quartz, key, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
