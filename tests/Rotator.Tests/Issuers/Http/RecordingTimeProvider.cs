using System.Collections.Concurrent;

namespace Rotator.Tests.Issuers.Http;

/// <summary>
/// Records every wait that is asked of it. Waits shorter than an hour end at once (so retry delays cost
/// nothing); longer ones never end during a test (so request timeouts do not fire).
/// </summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);
    private readonly ConcurrentQueue<TimeSpan> delays = new();

    public IReadOnlyList<TimeSpan> Delays => [.. delays];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan || dueTime >= Forever)
        {
            return new IdleTimer();
        }

        delays.Enqueue(dueTime);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new IdleTimer();
    }

    private sealed class IdleTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
