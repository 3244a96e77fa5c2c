namespace Rotator.Rotation;

/// <summary>Exponential backoff with full jitter and a cap: Rotator's own retry policy, since the SDK's retries are off.</summary>
public static class Backoff
{
    /// <param name="attempt">1 for the first retry.</param>
    /// <param name="unit">A random number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double unit)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ceiling = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));

        // Half fixed, half random: never zero, and replicas that failed together do not retry together.
        return TimeSpan.FromTicks((long)(ceiling / 2 + ceiling / 2 * unit));
    }
}
