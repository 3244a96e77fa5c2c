using Quartz;
using Rotator.Rotation;
using Rotator.Scheduling;

namespace Rotator.Admin;

/// <summary>Hands an operator's request to the key's job and waits, bounded, for the execution that carried it out.</summary>
internal sealed class AdminActions(ISchedulerFactory schedulers, RotationScheduler scheduler, RotationObserver observer, TimeProvider time)
{
    /// <summary>How long a request waits for its execution before it is answered with what is known (it stays queued).</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>The execution that carried out the request, or null when it did not come within <paramref name="wait"/>.</summary>
    public async Task<ExecutionResult?> RequestAsync(string keyName, OperatorRequest request, TimeSpan wait, CancellationToken cancellationToken)
    {
        var outcome = new TaskCompletionSource<ExecutionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnExecuted(string key, ExecutionResult result)
        {
            if (key == keyName && result.Request is { } carried && Same(carried, request))
            {
                outcome.TrySetResult(result);
            }
        }

        // Listening starts before the request is queued, so a fast execution is not missed.
        observer.Executed += OnExecuted;
        try
        {
            var quartz = await schedulers.GetScheduler(cancellationToken);
            await scheduler.RunNowAsync(quartz, keyName, request, cancellationToken);
            return await outcome.Task.WaitAsync(wait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            observer.Executed -= OnExecuted;
        }
    }

    /// <summary>
    /// Is <paramref name="carried"/> the request that was asked? The job rebuilds the request from its trigger's data
    /// (an empty reason for none), so the same object or the same content counts.
    /// </summary>
    public static bool Same(OperatorRequest carried, OperatorRequest asked) =>
        ReferenceEquals(carried, asked)
        || (carried.Action == asked.Action && carried.Actor == asked.Actor && carried.Suspect == asked.Suspect && carried.Confirmed == asked.Confirmed
            && (carried.Reason ?? "") == (asked.Reason ?? ""));
}
