using Rotator.Consumers;
using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class GateTests
{
    private const string New = "00112233445566aa";
    private const string Old = "ffeeddccbbaa9988";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ProbeObservation On(params string[] fingerprints) => new("svc", "10.0.0.1", fingerprints, null);

    private static ProbeObservation Silent() => new("svc", "10.0.0.2", [], "connection refused");

    [Fact]
    public void Passes_NoObservations_IsNeverAPass()
    {
        Assert.False(Gate.Passes([], GateKind.CallersOnNew, New));
        Assert.False(Gate.Passes([], GateKind.VerifiersDropOld, Old));
    }

    [Fact]
    public void Passes_EveryAddressOnNew_Passes() =>
        Assert.True(Gate.Passes([On(New), On(New)], GateKind.CallersOnNew, New));

    [Theory]
    [InlineData(Old)]
    [InlineData("")]
    public void Passes_OneAddressNotOnNew_Fails(string other)
    {
        var laggard = other.Length == 0 ? Silent() : On(other);
        Assert.False(Gate.Passes([On(New), laggard], GateKind.CallersOnNew, New));
    }

    [Fact]
    public void Passes_VerifierGates_LookForAcceptanceAndDrop()
    {
        Assert.True(Gate.Passes([On(Old, New)], GateKind.VerifiersAcceptNew, New));
        Assert.False(Gate.Passes([On(Old)], GateKind.VerifiersAcceptNew, New));
        Assert.False(Gate.Passes([On(Old, New)], GateKind.VerifiersDropOld, Old));
        Assert.True(Gate.Passes([On(New)], GateKind.VerifiersDropOld, Old));
        Assert.False(Gate.Passes([On(New), Silent()], GateKind.VerifiersDropOld, Old));
    }

    [Fact]
    public void IsOpen_OnePassingPoll_StaysClosedWhateverTheTime()
    {
        var state = Gate.Observe(GateState.Closed, passes: true, T0);

        Assert.False(Gate.IsOpen(state, TimeSpan.Zero, T0.AddHours(1)));
    }

    [Fact]
    public void IsOpen_TwoPassesSpanningStableFor_Opens()
    {
        var state = Gate.Observe(GateState.Closed, true, T0);
        state = Gate.Observe(state, true, T0.AddSeconds(30));

        Assert.False(Gate.IsOpen(state, TimeSpan.FromSeconds(31), T0.AddSeconds(30)));
        Assert.True(Gate.IsOpen(state, TimeSpan.FromSeconds(30), T0.AddSeconds(30)));
    }

    [Fact]
    public void Observe_AFailingPoll_ResetsTheStabilityTimer()
    {
        var state = Gate.Observe(GateState.Closed, true, T0);
        state = Gate.Observe(state, false, T0.AddSeconds(10));
        state = Gate.Observe(state, true, T0.AddSeconds(20));
        state = Gate.Observe(state, true, T0.AddSeconds(40));

        Assert.Equal(T0.AddSeconds(20), state.PassingSince);
        Assert.False(Gate.IsOpen(state, TimeSpan.FromSeconds(30), T0.AddSeconds(40)));
    }

    [Fact]
    public void Laggards_NameOnlyTheAddressesNotSwitched()
    {
        var laggards = Gate.Laggards([On(New), On(Old), Silent()], GateKind.CallersOnNew, New);

        Assert.Equal(2, laggards.Count);
        Assert.DoesNotContain(laggards, o => o.Fingerprints.Contains(New));
    }
}
