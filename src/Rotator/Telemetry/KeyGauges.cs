using System.Diagnostics.Metrics;
using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Telemetry;

/// <summary>The observable gauges' values, as pure functions of the key states in memory: no vault call, so they stay up during a vault outage.</summary>
internal static class KeyGauges
{
    private static readonly Phase[] AllPhases = Enum.GetValues<Phase>();

    /// <summary>Seconds since each key's current version was created; keys whose version is not known yet are left out.</summary>
    public static IEnumerable<Measurement<double>> Ages(IEnumerable<KeyState> states, DateTimeOffset now) =>
        states.Where(s => s.Current?.CreatedOn is not null)
            .Select(s => new Measurement<double>(Math.Max(0, (now - s.Current!.CreatedOn!.Value).TotalSeconds), Key(s.Key)));

    /// <summary>Each configured key's Schedule.MaxAge in seconds, for alerts on <c>age &gt; max age</c>; keys without one are left out.</summary>
    public static IEnumerable<Measurement<double>> MaxAges(RotatorOptions options) =>
        // The admin keys are among the keys (as admin-<name>), so their series match their age's.
        (options.Keys ?? []).Where(k => k.Schedule?.MaxAge is not null)
            .Select(k => new Measurement<double>(k.Schedule.MaxAge!.Value.TotalSeconds, Key(k.Name)));

    /// <summary>Unix time of each key's last completed rotation, for "no successful rotation in N days" alerts; keys never rotated are left out.</summary>
    public static IEnumerable<Measurement<double>> LastCompleted(IEnumerable<KeyState> states) =>
        states.Where(s => s.Record.LastCompleted is not null)
            .Select(s => new Measurement<double>(s.Record.LastCompleted!.Value.ToUnixTimeMilliseconds() / 1000.0, Key(s.Key)));

    /// <summary>Consumer addresses not yet on the new key while a rollout waits (RollingOut, Stalled), by the gate's own rule; 0 otherwise.</summary>
    public static IEnumerable<Measurement<long>> NotSwitched(IEnumerable<KeyState> states) =>
        states.Select(s => new Measurement<long>(NotSwitched(s), Key(s.Key)));

    public static long NotSwitched(KeyState state) =>
        state.Phase is Phase.RollingOut or Phase.Stalled && state.Record.NewKey is { } key
            ? Gate.Laggards(state.Observations, GateKind.CallersOnNew, key.Fingerprint).Count
            : 0;

    /// <summary>How many keys are in each phase, every phase included so that a rule can compare with zero.</summary>
    public static IEnumerable<Measurement<long>> Phases(IEnumerable<KeyState> states)
    {
        var counts = states.GroupBy(s => s.Phase).ToDictionary(g => g.Key, g => (long)g.Count());
        return AllPhases.Select(p => new Measurement<long>(counts.GetValueOrDefault(p), new KeyValuePair<string, object?>("phase", p.ToString())));
    }

    private static KeyValuePair<string, object?> Key(string name) => new("key", name);
}
