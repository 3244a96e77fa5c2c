using Quartz;
using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Scheduling;

/// <summary>Puts each managed key's job and triggers into Quartz: its schedule, the start-up reconcile, follow-ups and manual runs.</summary>
internal sealed class RotationScheduler(TimeProvider time)
{
    public static JobKey JobKeyOf(string keyName) => new(keyName, RotationJob.Group);

    public static TriggerKey ScheduleTrigger(string keyName) => new($"{keyName}.schedule", RotationJob.Group);

    public static TriggerKey NextTrigger(string keyName) => new($"{keyName}.next", RotationJob.Group);

    /// <summary>
    /// Adds (or, after a configuration change, replaces) the key's job and its cron trigger, drops a cron trigger the
    /// schedule no longer has, and runs the key now: that resumes whatever was in flight and works out an interval
    /// key's next due time again.
    /// </summary>
    public async Task RegisterAsync(IScheduler scheduler, ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        var job = JobBuilder.Create<RotationJob>().WithIdentity(JobKeyOf(key.Name)).StoreDurably().Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);
        if (key.Schedule.Cron is { } cron)
        {
            var trigger = TriggerBuilder.Create(time)
                .WithIdentity(ScheduleTrigger(key.Name))
                .ForJob(job.Key)
                .UsingJobData(RotationJob.ReasonKey, nameof(RunReason.Scheduled))
                .WithCronSchedule(cron, c => c.InTimeZone(Schedules.TimeZone(key.Schedule)).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .Build();
            await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);
        }
        else
        {
            await scheduler.UnscheduleJob(ScheduleTrigger(key.Name), cancellationToken);
        }

        await RunAtAsync(scheduler, key.Name, time.GetUtcNow(), RunReason.Startup, request: null, cancellationToken);
    }

    /// <summary>Deletes a removed key's job with all its triggers.</summary>
    public static Task RemoveAsync(IScheduler scheduler, string keyName, CancellationToken cancellationToken) =>
        scheduler.DeleteJob(JobKeyOf(keyName), cancellationToken).AsTask();

    /// <summary>
    /// Runs the key now on an operator's request: a trigger of its own, so that a follow-up planned by a run in
    /// progress cannot replace it; the job's DisallowConcurrentExecution puts it after that run.
    /// </summary>
    public Task RunNowAsync(IScheduler scheduler, string keyName, OperatorRequest request, CancellationToken cancellationToken) =>
        RunAtAsync(scheduler, keyName, time.GetUtcNow(), RunReason.Manual, request, cancellationToken, new TriggerKey($"{keyName}.request.{Guid.NewGuid():N}", RotationJob.Group));

    /// <summary>Leaves one pending "next" trigger per key: a gate's poll, a retry, or an interval schedule's due time.</summary>
    public Task ScheduleNextAsync(IScheduler scheduler, ManagedKeyOptions key, ExecutionResult result, CancellationToken cancellationToken)
    {
        if (result.RunAgainAt is not { } at)
        {
            return scheduler.UnscheduleJob(NextTrigger(key.Name), cancellationToken).AsTask();
        }

        if (result.RunAgainAs == RunReason.Scheduled)
        {
            at += Schedules.Jitter(key.Schedule, Random.Shared.NextDouble());
        }

        return RunAtAsync(scheduler, key.Name, at, result.RunAgainAs, request: null, cancellationToken);
    }

    private async Task RunAtAsync(IScheduler scheduler, string keyName, DateTimeOffset at, RunReason reason, OperatorRequest? request, CancellationToken cancellationToken, TriggerKey? identity = null)
    {
        var builder = TriggerBuilder.Create(time)
            .WithIdentity(identity ?? NextTrigger(keyName))
            .ForJob(JobKeyOf(keyName))
            .UsingJobData(RotationJob.ReasonKey, reason.ToString())
            .StartAt(at);
        if (request is not null)
        {
            builder = builder
                .UsingJobData(RotationJob.ActionKey, request.Action.ToString())
                .UsingJobData(RotationJob.ActorKey, request.Actor)
                .UsingJobData(RotationJob.ReasonTextKey, request.Reason ?? "")
                .UsingJobData(RotationJob.SuspectKey, request.Suspect.ToString())
                .UsingJobData(RotationJob.ConfirmedKey, request.Confirmed ? "true" : "false");
        }

        // One "next" trigger per key: a newer plan replaces an older one.
        await scheduler.ScheduleJob(builder.Build(), ScheduleJobOptions.Replacing, cancellationToken);
    }
}
