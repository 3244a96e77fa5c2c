namespace Rotator.Demo;

/// <summary>How a management request goes wrong.</summary>
public enum VendorFault
{
    /// <summary>503 before anything is committed.</summary>
    Unavailable,

    /// <summary>The write is committed, then the answer is a 500 with an unparseable body.</summary>
    CommitThenFail,

    /// <summary>The write is committed, then the connection is aborted without an answer.</summary>
    CommitThenAbort,

    /// <summary>The write is committed and the status is a success, but the body is not JSON.</summary>
    Garbage,
}

/// <summary>Switchable faults, so that clients can be tested against a vendor that misbehaves like real ones do.</summary>
public sealed class SampleVendorFaults
{
    private readonly Lock gate = new();
    private readonly Dictionary<VendorOperation, Queue<VendorFault>> pending = [];
    private TimeSpan delay;

    /// <summary>Delay before each management response (after any commit), on the vendor's TimeProvider.</summary>
    public TimeSpan Delay
    {
        get { lock (gate) { return delay; } }
        set { lock (gate) { delay = value; } }
    }

    /// <summary>Makes the next <paramref name="count"/> requests of <paramref name="operation"/> fail with <paramref name="fault"/>.</summary>
    public void Inject(VendorOperation operation, VendorFault fault, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
        {
            if (!pending.TryGetValue(operation, out var queue))
            {
                pending[operation] = queue = new Queue<VendorFault>();
            }

            for (var i = 0; i < count; i++)
            {
                queue.Enqueue(fault);
            }
        }
    }

    /// <summary>Faults still waiting for <paramref name="operation"/>.</summary>
    public int Pending(VendorOperation operation)
    {
        lock (gate)
        {
            return pending.TryGetValue(operation, out var queue) ? queue.Count : 0;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            pending.Clear();
            delay = TimeSpan.Zero;
        }
    }

    internal VendorFault? Take(VendorOperation operation)
    {
        lock (gate)
        {
            return pending.TryGetValue(operation, out var queue) && queue.TryDequeue(out var fault) ? fault : null;
        }
    }
}
