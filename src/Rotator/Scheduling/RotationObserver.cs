using Rotator.Rotation;

namespace Rotator.Scheduling;

/// <summary>Where the outcome of each execution is published in-process, for the demo's progress and later the admin API.</summary>
internal sealed class RotationObserver
{
    public event Action<string, ExecutionResult>? Executed;

    public void Publish(string keyName, ExecutionResult result) => Executed?.Invoke(keyName, result);
}
