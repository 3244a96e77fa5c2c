using Rotator.Admin;
using Rotator.Cli.AdminApi;
using Rotator.Rotation;

namespace Rotator.Tests.Cli;

public sealed class AdminOutputTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    internal static KeyStatus Key(string name = "billing", IReadOnlyList<ProbeStatus>? probes = null) => new(
        name, "billing-api-key", "Http", Phase.RollingOut, "r20260301100000-abcdef01", RotationTrigger.Manual, "ops-alice", At,
        "v2", "0123456789abcdef", TimeSpan.FromDays(12), TimeSpan.FromDays(90), At.AddDays(78), Paused: true, At.AddDays(-12),
        "vault throttled", "suspected leak", "fedcba9876543210", "0123456789abcdef", probes ?? [], At);

    [Fact]
    public void Status_AllKeys_OneAlignedRowPerKeyWithPhaseFingerprintAgeAndNextRotation()
    {
        var text = AdminOutput.Status([Key(), Key("search") with { Paused = false, MaxAge = null, LastError = null }]);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("KEY ", lines[0], StringComparison.Ordinal);
        Assert.Contains("RollingOut", lines[1], StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef", lines[1], StringComparison.Ordinal);
        Assert.Contains("12d / 90d", lines[1], StringComparison.Ordinal);
        Assert.Contains("2026-05-18 10:00:00Z", lines[1], StringComparison.Ordinal);
        Assert.Contains(" yes ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("vault throttled", lines[1], StringComparison.Ordinal);
        Assert.Contains("12d / -", lines[2], StringComparison.Ordinal);
        Assert.Equal(lines[0].IndexOf("PHASE", StringComparison.Ordinal), lines[2].IndexOf("RollingOut", StringComparison.Ordinal));
    }

    [Fact]
    public void Status_OneKey_AddsTheRotationAndTheProbeTable()
    {
        var text = AdminOutput.Status(Key(probes:
        [
            new ProbeStatus("consumer", "http://billing:8080/rotator/key", "10.0.0.7", ["fedcba9876543210"], true, null),
            new ProbeStatus("consumer", "http://billing:8080/rotator/key", "10.0.0.8", [], false, "did not answer (ConnectionError)"),
        ]));

        Assert.Contains("Manual by ops-alice", text, StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef → fedcba9876543210", text, StringComparison.Ordinal);
        Assert.Contains("suspected leak", text, StringComparison.Ordinal);
        var probeLines = text.Split('\n').SkipWhile(l => !l.StartsWith("ROLE", StringComparison.Ordinal)).Where(l => l.Length > 0).ToList();
        Assert.Equal(3, probeLines.Count);
        Assert.Contains("10.0.0.7", probeLines[1], StringComparison.Ordinal);
        Assert.Contains(" yes ", probeLines[1], StringComparison.Ordinal);
        Assert.EndsWith("did not answer (ConnectionError)", probeLines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Status_OneKeyWithoutObservations_SaysSo() =>
        Assert.Contains("No probe observations", AdminOutput.Status(Key()), StringComparison.Ordinal);

    [Fact]
    public void History_ShowsOldToNewFingerprintsAndTheSteps()
    {
        var entry = new RotationHistoryEntry("r1", RotationTrigger.Schedule, null, null, "Completed", At, At.AddMinutes(10),
            "0123456789abcdef", "fedcba9876543210", "v2", null, [new RotationStep(Phase.Stored, At), new RotationStep(Phase.Completed, At.AddMinutes(10))]);

        var lines = AdminOutput.History("billing", [entry]).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length);
        Assert.Contains("Schedule", lines[1], StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef → fedcba9876543210", lines[1], StringComparison.Ordinal);
        Assert.Contains("2026-03-01 10:10:00Z", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("Stored > Completed", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void History_Empty_SaysSo() => Assert.Equal("No rotations recorded for billing.\n", AdminOutput.History("billing", []));

    [Fact]
    public void Action_PrintsTheRotationIdAndThePhase()
    {
        var text = AdminOutput.Action(new ActionAccepted("billing", "rotate", "ops-alice", "r20260301100000-abcdef01", Phase.Intent, "started"));

        Assert.Contains("rotate billing: accepted", text, StringComparison.Ordinal);
        Assert.Contains("rotation: r20260301100000-abcdef01", text, StringComparison.Ordinal);
        Assert.Contains("phase:    Intent", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_Conflict_NamesTheRotationInFlight()
    {
        var text = AdminOutput.Problem(409, new AdminProblem("A rotation is in flight", "billing is RollingOut.", "r-running"));

        Assert.Equal("error: A rotation is in flight (409)\n  billing is RollingOut.\n  rotation in flight: r-running\n", text);
    }

    [Theory]
    [InlineData(401, "ROTATOR_API_KEY")]
    [InlineData(403, "Operator key")]
    public void Problem_AuthFailures_SayWhatToDo(int status, string hint) =>
        Assert.Contains(hint, AdminOutput.Problem(status, null), StringComparison.Ordinal);
}
