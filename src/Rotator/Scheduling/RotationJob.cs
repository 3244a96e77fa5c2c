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
internal sealed partial class RotationJob(RotationExecutor executor, RotationScheduler scheduler, IOptionsMonitor<RotatorOptions> options, RotationObserver observer, KeyLocks locks, TimeProvider time, ILogger<RotationJob> logger) : IJob
{
    public const string Group = "rotation";
    public const string ReasonKey = "reason";
    public const string ActionKey = "action";
    public const string ActorKey = "actor";
    public const string ReasonTextKey = "reason-text";
    public const string SuspectKey = "suspect";
    public const string ConfirmedKey = "confirmed";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.JobDetail.Key.Name;

        // Held for the whole execution: the configuration reloader never swaps the definition of a key mid-run.
        using var held = await locks.EnterAsync(name, cancellationToken);
        var key = options.CurrentValue.Keys.FirstOrDefault(k => k.Name == name);
        if (key is null)
        {
            return;
        }

        var data = context.MergedJobDataMap;
        var reason = Enum.TryParse<RunReason>(data.GetString(ReasonKey), out var parsed) ? parsed : RunReason.FollowUp;
        var request = Request(data);
        ExecutionResult result;
        try
        {
            result = await executor.RunAsync(key, reason, request, cancellationToken) with { Request = request };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing may end a key's schedule silently: whatever went wrong, say so and look again later. Every step
            // re-checks the vault and the issuer before it acts, so running again is safe.
            var retryIn = options.CurrentValue.Retry.MaxDelay;
            LogUnexpected(logger, key.Name, e.GetType().FullName ?? e.GetType().Name, retryIn, e.StackTrace ?? "");
            result = new ExecutionResult(Phase.Idle, time.GetUtcNow() + retryIn, reason == RunReason.Manual ? RunReason.FollowUp : reason, e.GetType().Name, Request: request);
        }

        await scheduler.ScheduleNextAsync(context.Scheduler, key, result, cancellationToken);
        observer.Publish(key.Name, result);
    }

    // The exception's message is left out on purpose: it could quote an answer that holds a key.
    [LoggerMessage(EventId = 150, Level = LogLevel.Error, Message = "Key {Key}: the rotation job failed unexpectedly ({Exception}); it runs again in {RetryIn}\n{StackTrace}")]
    private static partial void LogUnexpected(ILogger logger, string key, string exception, TimeSpan retryIn, string stackTrace);

    /// <summary>The operator's request a manual trigger carries, if any.</summary>
    private static OperatorRequest? Request(JobDataMap data) =>
        Enum.TryParse<OperatorAction>(data.GetString(ActionKey), out var action)
            ? new OperatorRequest(
                action,
                data.GetString(ActorKey) ?? "unknown",
                data.GetString(ReasonTextKey),
                Enum.TryParse<Suspect>(data.GetString(SuspectKey), out var suspect) ? suspect : Suspect.Old,
                data.GetString(ConfirmedKey) == "true")
            : null;
}
