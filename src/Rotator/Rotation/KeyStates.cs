using System.Collections.Concurrent;
using Rotator.Consumers;

namespace Rotator.Rotation;

/// <summary>What the last execution of one key saw. Fingerprints, ids and times only.</summary>
/// <param name="Record">The last record read or written; a new record (Idle) before the first successful read.</param>
/// <param name="Error">The last execution's error, or null when it went well.</param>
public sealed record KeyState(
    string Key,
    ControlRecord Record,
    CurrentVersion? Current,
    IReadOnlyList<ProbeObservation> Observations,
    DateTimeOffset? NextRun,
    string? Error,
    DateTimeOffset ObservedAt)
{
    public Phase Phase => Record.Phase;
}

/// <summary>
/// The last state of every key, kept in memory from the executions' outcomes: what status and gauges read without a
/// vault call, so they stay up during a vault outage. The vault stays the system of record; a restart rebuilds this
/// from the start-up reconcile.
/// </summary>
internal sealed class KeyStates
{
    private readonly ConcurrentDictionary<string, KeyState> states = new(StringComparer.Ordinal);
    private readonly TimeProvider time;

    public KeyStates(RotationObserver observer, TimeProvider time)
    {
        this.time = time;
        observer.Executed += Record;
        observer.Transitioned += Record;
    }

    public IReadOnlyCollection<KeyState> All => [.. states.Values.OrderBy(s => s.Key, StringComparer.Ordinal)];

    public KeyState? Get(string key) => states.GetValueOrDefault(key);

    /// <summary>Forgets a key that left the configuration.</summary>
    public void Forget(string key) => states.TryRemove(key, out _);

    private void Record(string key, ExecutionResult result)
    {
        // What this execution did not see, the previous state still knows.
        KeyState Next(KeyState? previous) => new(
            key,
            result.Record ?? previous?.Record ?? new ControlRecord(),
            result.Current ?? previous?.Current,
            result.Observations ?? previous?.Observations ?? [],
            result.RunAgainAt,
            result.Error,
            time.GetUtcNow());

        states.AddOrUpdate(key, _ => Next(null), (_, previous) => Next(previous));
    }

    private void Record(RotationTransition transition) => states.AddOrUpdate(
        transition.Key,
        _ => new KeyState(transition.Key, transition.Record, null, [], null, transition.Error, transition.At),
        (_, previous) => previous with { Record = transition.Record, Error = transition.Error, ObservedAt = transition.At });
}
