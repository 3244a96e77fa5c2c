namespace Rotator.LocalVault;

/// <summary>What an injected fault does to a request.</summary>
public enum LocalVaultFaultKind
{
    /// <summary>Answer 429 without touching state (with Retry-After when <see cref="LocalVaultFault.RetryAfter"/> is set).</summary>
    Throttle,

    /// <summary>Answer 503 without touching state.</summary>
    Unavailable,

    /// <summary>Wait <see cref="LocalVaultFault.Delay"/>, then serve the request normally.</summary>
    Delay,

    /// <summary>Apply the write, then answer 503: the caller cannot tell that it succeeded.</summary>
    CommitThenUnavailable,

    /// <summary>Apply the write, then abort the connection without an answer.</summary>
    CommitThenAbort,
}

/// <summary>Which requests a fault may hit.</summary>
public enum LocalVaultFaultTarget
{
    AnyRequest,
    Reads,
    Writes,
}

/// <summary>One fault to inject.</summary>
public sealed record LocalVaultFault(LocalVaultFaultKind Kind)
{
    public TimeSpan? RetryAfter { get; init; }

    public TimeSpan Delay { get; init; }

    /// <summary>Commit faults only ever hit writes, whatever this says.</summary>
    public LocalVaultFaultTarget Target { get; init; } = LocalVaultFaultTarget.AnyRequest;

    public static LocalVaultFault Throttle(TimeSpan? retryAfter = null) => new(LocalVaultFaultKind.Throttle) { RetryAfter = retryAfter };

    public static LocalVaultFault Unavailable() => new(LocalVaultFaultKind.Unavailable);

    public static LocalVaultFault Delayed(TimeSpan delay) => new(LocalVaultFaultKind.Delay) { Delay = delay };

    public static LocalVaultFault CommitThenUnavailable() => new(LocalVaultFaultKind.CommitThenUnavailable) { Target = LocalVaultFaultTarget.Writes };

    public static LocalVaultFault CommitThenAbort() => new(LocalVaultFaultKind.CommitThenAbort) { Target = LocalVaultFaultTarget.Writes };

    internal bool Applies(bool isWrite)
    {
        var target = Kind is LocalVaultFaultKind.CommitThenUnavailable or LocalVaultFaultKind.CommitThenAbort
            ? LocalVaultFaultTarget.Writes
            : Target;
        return target switch
        {
            LocalVaultFaultTarget.Reads => !isWrite,
            LocalVaultFaultTarget.Writes => isWrite,
            _ => true,
        };
    }
}

/// <summary>
/// Faults switchable at runtime. Only authenticated requests draw faults, so the SDK's
/// unauthenticated challenge request never uses one up.
/// </summary>
public sealed class LocalVaultFaults
{
    private readonly Lock _gate = new();
    private readonly Queue<LocalVaultFault> _next = new();
    private LocalVaultFault? _random;
    private double _probability;
    private Random? _rng;
    private int _injected;

    /// <summary>How many faults have been injected so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>How many queued faults are still waiting for a matching request.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _next.Count;
            }
        }
    }

    /// <summary>Hits the next <paramref name="count"/> matching requests with <paramref name="fault"/> (after any already queued).</summary>
    public void FailNext(int count, LocalVaultFault fault)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _next.Enqueue(fault);
            }
        }
    }

    /// <summary>Hits each matching request with probability <paramref name="probability"/>, drawn from a seeded generator so runs repeat.</summary>
    public void FailRandomly(double probability, LocalVaultFault fault, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0d);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1d);
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            _random = fault;
            _probability = probability;
            _rng = new Random(seed);
        }
    }

    /// <summary>Removes every queued and random fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _next.Clear();
            _random = null;
            _rng = null;
        }
    }

    internal LocalVaultFault? Draw(bool isWrite)
    {
        lock (_gate)
        {
            // Queued faults keep their order; a head that does not match this request waits for one that does.
            if (_next.Count > 0 && _next.Peek().Applies(isWrite))
            {
                _injected++;
                return _next.Dequeue();
            }

            if (_random is { } fault && _rng is { } rng && fault.Applies(isWrite) && rng.NextDouble() < _probability)
            {
                _injected++;
                return fault;
            }

            return null;
        }
    }
}
