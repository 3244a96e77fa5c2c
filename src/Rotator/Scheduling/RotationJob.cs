using Microsoft.Extensions.Options;
using Quartz;
using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Scheduling;

/// <summary>
/// One job per managed key. Each execution reconciles: it loads the key's state from the vault, takes the steps it
/// can, and leaves a follow-up trigger where a gate waits. Never two executions of one key at once.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class RotationJob(RotationExecutor executor, RotationScheduler scheduler, IOptionsMonitor<RotatorOptions> options, RotationObserver observer) : IJob
{
    public const string Group = "rotation";
    public const string ReasonKey = "reason";
    public const string ActorKey = "actor";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.JobDetail.Key.Name;
        var key = options.CurrentValue.Keys.FirstOrDefault(k => k.Name == name);
        if (key is null)
        {
            return;
        }

        var data = context.MergedJobDataMap;
        var reason = Enum.TryParse<RunReason>(data.GetString(ReasonKey), out var parsed) ? parsed : RunReason.FollowUp;
        var result = await executor.RunAsync(key, reason, data.GetString(ActorKey), cancellationToken);
        await scheduler.ScheduleNextAsync(context.Scheduler, key, result, cancellationToken);
        observer.Publish(key.Name, result);
    }
}
