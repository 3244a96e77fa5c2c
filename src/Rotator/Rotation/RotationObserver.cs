namespace Rotator.Rotation;

/// <summary>One step of one rotation, as it was recorded: what the admin API, metrics and webhooks hear about. Never a key.</summary>
/// <param name="Record">The record as written after the step.</param>
/// <param name="Error">Why the step went where it did, when it failed or stopped.</param>
public sealed record RotationTransition(string Key, Phase From, Phase To, RotationEvent Cause, ControlRecord Record, string? Error, DateTimeOffset At);

/// <summary>Where the executor publishes, in-process, each step it records and the outcome of each execution.</summary>
internal sealed class RotationObserver
{
    /// <summary>After every execution of a key's job.</summary>
    public event Action<string, ExecutionResult>? Executed;

    /// <summary>After every phase change that was written to the vault.</summary>
    public event Action<RotationTransition>? Transitioned;

    public void Publish(string keyName, ExecutionResult result) => Executed?.Invoke(keyName, result);

    public void Publish(RotationTransition transition) => Transitioned?.Invoke(transition);
}
