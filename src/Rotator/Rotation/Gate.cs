using Rotator.Consumers;

namespace Rotator.Rotation;

/// <summary>What a gate waits for.</summary>
public enum GateKind
{
    /// <summary>Every consumer reports that it last sent the new key.</summary>
    CallersOnNew,

    /// <summary>Every verifier accepts the new key.</summary>
    VerifiersAcceptNew,

    /// <summary>No verifier accepts the old key any more.</summary>
    VerifiersDropOld,
}

/// <summary>The gate's memory between polls. Kept in memory on purpose: a restart restarts the stability timer, which is safe.</summary>
public readonly record struct GateState(int ConsecutivePasses, DateTimeOffset? PassingSince)
{
    public static GateState Closed => default;
}

/// <summary>The gate's rules as pure functions (DESIGN.md, "Gates: what counts as evidence").</summary>
public static class Gate
{
    /// <summary>Does one poll show every address in the wanted state? Nothing observed is never a pass.</summary>
    public static bool Passes(IReadOnlyList<ProbeObservation> observations, GateKind kind, string fingerprint) =>
        observations.Count > 0 && observations.All(o => o.Answered && kind switch
        {
            GateKind.CallersOnNew => o.Fingerprints.Count > 0 && o.Fingerprints.All(f => f == fingerprint),
            GateKind.VerifiersAcceptNew => o.Fingerprints.Contains(fingerprint),
            GateKind.VerifiersDropOld => !o.Fingerprints.Contains(fingerprint),
            _ => false,
        });

    /// <summary>Any observation that is not a pass resets the gate.</summary>
    public static GateState Observe(GateState state, bool passes, DateTimeOffset now) =>
        passes ? new(state.ConsecutivePasses + 1, state.PassingSince ?? now) : GateState.Closed;

    /// <summary>Open after at least two consecutive passing polls spanning at least <paramref name="stableFor"/>.</summary>
    public static bool IsOpen(GateState state, TimeSpan stableFor, DateTimeOffset now) =>
        state.ConsecutivePasses >= 2 && state.PassingSince is { } since && now - since >= stableFor;

    /// <summary>Addresses that are not yet in the wanted state, for status and logs.</summary>
    public static IReadOnlyList<ProbeObservation> Laggards(IReadOnlyList<ProbeObservation> observations, GateKind kind, string fingerprint) =>
        [.. observations.Where(o => !Passes([o], kind, fingerprint))];
}
