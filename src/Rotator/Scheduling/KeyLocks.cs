using System.Collections.Concurrent;

namespace Rotator.Scheduling;

/// <summary>
/// One lock per managed key, held by each execution of its job and by the configuration reloader while it reads the
/// key's phase and swaps its definition: a definition never changes under a running execution, and a phase read under
/// the lock stays true until the swap.
/// </summary>
internal sealed class KeyLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string key, CancellationToken cancellationToken)
    {
        var gate = locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Held(gate);
    }

    /// <summary>Enters the locks of several keys, in one order, so that two callers never wait on each other.</summary>
    public async Task<IDisposable> EnterAllAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var held = new List<IDisposable>();
        try
        {
            foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                held.Add(await EnterAsync(key, cancellationToken));
            }

            return new All(held);
        }
        catch
        {
            new All(held).Dispose();
            throw;
        }
    }

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    private sealed class All(List<IDisposable> held) : IDisposable
    {
        public void Dispose()
        {
            for (var i = held.Count - 1; i >= 0; i--)
            {
                held[i].Dispose();
            }
        }
    }
}
