using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Rotator.Admin;

/// <summary>
/// Limits failed authentication attempts per client address: after <see cref="PermitLimit"/> failures within
/// <see cref="Window"/>, every attempt from that address is refused until the window ends. Each address has a fixed-window
/// limiter whose windows are started on the injected <see cref="TimeProvider"/>, so the decisions are testable without waiting.
/// </summary>
internal sealed class FailureLimiter(TimeProvider time, int permitLimit = FailureLimiter.DefaultPermitLimit, TimeSpan? window = null) : IDisposable
{
    public const int DefaultPermitLimit = 10;

    /// <summary>Past this many addresses, those whose window has ended are forgotten, so a scan from many addresses cannot grow the table for ever.</summary>
    private const int PruneAbove = 1024;

    private readonly ConcurrentDictionary<string, Partition> partitions = new(StringComparer.Ordinal);

    public int PermitLimit { get; } = permitLimit;

    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);

    /// <summary>Is the address refused now? If so, for how long still.</summary>
    public bool IsLimited(string address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!partitions.TryGetValue(address, out var partition))
        {
            return false;
        }

        lock (partition)
        {
            var now = time.GetUtcNow();
            Replenish(partition, now);
            if (partition.Limiter.GetStatistics()?.CurrentAvailablePermits > 0)
            {
                return false;
            }

            retryAfter = partition.WindowStart + Window - now;
            return true;
        }
    }

    /// <summary>Counts one failed attempt; true when the address has now used up its failures for this window.</summary>
    public bool RecordFailure(string address)
    {
        if (partitions.Count > PruneAbove)
        {
            Prune();
        }

        var partition = partitions.GetOrAdd(address, _ => new Partition(NewLimiter(), time.GetUtcNow()));
        lock (partition)
        {
            Replenish(partition, time.GetUtcNow());
            using var lease = partition.Limiter.AttemptAcquire(1);
            return !lease.IsAcquired || partition.Limiter.GetStatistics()?.CurrentAvailablePermits == 0;
        }
    }

    public void Dispose()
    {
        foreach (var partition in partitions.Values)
        {
            partition.Limiter.Dispose();
        }
    }

    private void Replenish(Partition partition, DateTimeOffset now)
    {
        if (now - partition.WindowStart >= Window)
        {
            // The window is this class's, on TimeProvider (the limiter's own timer cannot be moved by a test): a new window is a new limiter.
            partition.Limiter.Dispose();
            partition.Limiter = NewLimiter();
            partition.WindowStart = now;
        }
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (address, partition) in partitions)
        {
            if (now - partition.WindowStart >= Window && partitions.TryRemove(address, out var removed))
            {
                removed.Limiter.Dispose();
            }
        }
    }

    private FixedWindowRateLimiter NewLimiter() => new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = PermitLimit,
        Window = Window,
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    private sealed class Partition(FixedWindowRateLimiter limiter, DateTimeOffset windowStart)
    {
        public FixedWindowRateLimiter Limiter { get; set; } = limiter;

        public DateTimeOffset WindowStart { get; set; } = windowStart;
    }
}
