using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Telemetry;
using Rotator.Tests.Fakes;
using Rotator.Vault;

namespace Rotator.Tests.Telemetry;

public sealed class RotatorMetricsTests
{
    [Fact]
    public async Task CountingVault_AnswerTransientFailureAndRefusal_SetReachabilityAndLastSuccess()
    {
        using var c = new MetricsCollector();
        var inner = new InMemoryVault(c.Time);
        var vault = new CountingVault(inner, c.Metrics);
        Assert.DoesNotContain(c.Read(), m => m.Instrument == "rotator.vault.reachable");

        await vault.GetAsync("a", null, default);
        var firstSuccess = c.Time.GetUtcNow();
        Assert.Equal(1, Last(c, "rotator.vault.reachable"));
        Assert.Equal((firstSuccess - DateTimeOffset.UnixEpoch).TotalSeconds, Last(c, "rotator.vault.last_success.timestamp"));

        c.Time.Advance(TimeSpan.FromMinutes(1));
        inner.FailNext.Add(("get", null, VaultFailure.Transient));
        await Assert.ThrowsAsync<VaultException>(() => vault.GetAsync("a", null, default));
        Assert.Equal(0, Last(c, "rotator.vault.reachable"));
        Assert.Equal((firstSuccess - DateTimeOffset.UnixEpoch).TotalSeconds, Last(c, "rotator.vault.last_success.timestamp"));

        inner.FailNext.Add(("get", null, VaultFailure.Permanent));
        await Assert.ThrowsAsync<VaultException>(() => vault.GetAsync("a", null, default));
        Assert.Equal(1, Last(c, "rotator.vault.reachable"));
        Assert.Equal(3, c.Sum("rotator.vault.operations", ("operation", "get")));
    }

    [Fact]
    public void Outcomes_AreCountedByKeyAndOutcome_AndACompletionRecordsItsDuration()
    {
        using var c = new MetricsCollector();
        var outcomes = new RotationOutcomes(c.Observer, c.States, c.Time);
        outcomes.Happened += o => OutcomeSubscribers.Record(c.Metrics, outcomes, o);
        var start = c.Time.GetUtcNow();
        var record = new ControlRecord { RotationId = "r20260301120000-00000000", Phase = Phase.Intent };

        c.Observer.Publish(new RotationTransition("billing", Phase.Completed, Phase.Intent, RotationEvent.Due, record, null, start));
        c.Observer.Publish(new RotationTransition("billing", Phase.Revoking, Phase.Completed, RotationEvent.StepSucceeded, record with { Phase = Phase.Completed }, null, start.AddMinutes(12)));
        c.Observer.Publish(new RotationTransition("billing", Phase.RollingOut, Phase.Stalled, RotationEvent.GateTimedOut, record with { Phase = Phase.Stalled }, null, start.AddMinutes(20)));

        Assert.Equal(1, c.Sum("rotator.rotations", ("key", "billing"), ("outcome", "completed")));
        Assert.Equal(1, c.Sum("rotator.rotations", ("key", "billing"), ("outcome", "stalled")));
        Assert.Equal(720, c.Sum("rotator.rotation.duration", ("key", "billing")));
    }

    [Fact]
    public void Gauges_ReadTheKeyStatesInMemory()
    {
        using var c = new MetricsCollector(new RotatorOptions
        {
            Keys = [new ManagedKeyOptions { Name = "billing", Schedule = new ScheduleOptions { MaxAge = TimeSpan.FromDays(30) } }],
        });
        c.Observer.Publish("billing", new ExecutionResult(Phase.Completed, null, RunReason.Scheduled, Record: new ControlRecord { Phase = Phase.Completed }, Current: new CurrentVersion("v1", "aaaaaaaaaaaaaaaa", c.Time.GetUtcNow().AddDays(-3))));

        Assert.Equal(TimeSpan.FromDays(3).TotalSeconds, c.Sum("rotator.key.age", ("key", "billing")));
        Assert.Equal(TimeSpan.FromDays(30).TotalSeconds, c.Sum("rotator.key.max_age", ("key", "billing")));
        Assert.Equal(0, c.Sum("rotator.consumers.not_switched", ("key", "billing")));
        Assert.Equal(1, c.Sum("rotator.keys", ("phase", "Completed")));
        Assert.Equal(10, c.Read().Count(m => m.Instrument == "rotator.keys"));
    }

    private static double Last(MetricsCollector c, string instrument) => c.Read().Last(m => m.Instrument == instrument).Value;
}
