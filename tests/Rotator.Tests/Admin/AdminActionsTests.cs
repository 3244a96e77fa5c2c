using Microsoft.Extensions.Time.Testing;
using Moq;
using Quartz;
using Rotator.Admin;
using Rotator.Rotation;
using Rotator.Scheduling;

namespace Rotator.Tests.Admin;

public sealed class AdminActionsTests
{
    [Fact]
    public void Same_RequestRebuiltFromTheTrigger_NoReasonBecomesEmpty_StillTheSame() =>
        Assert.True(AdminActions.Same(new OperatorRequest(OperatorAction.Pause, "ops", ""), new OperatorRequest(OperatorAction.Pause, "ops")));

    [Theory]
    [InlineData(OperatorAction.Resume, "ops", "why", Suspect.Old, false)]
    [InlineData(OperatorAction.Pause, "alice", "why", Suspect.Old, false)]
    [InlineData(OperatorAction.Pause, "ops", "other", Suspect.Old, false)]
    [InlineData(OperatorAction.Pause, "ops", "why", Suspect.All, false)]
    [InlineData(OperatorAction.Pause, "ops", "why", Suspect.Old, true)]
    public void Same_AnyFieldDiffers_NotTheSame(OperatorAction action, string actor, string reason, Suspect suspect, bool confirmed) =>
        Assert.False(AdminActions.Same(new OperatorRequest(action, actor, reason, suspect, confirmed), new OperatorRequest(OperatorAction.Pause, "ops", "why")));

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RotationObserver observer = new();
    private readonly Mock<IScheduler> quartz = new();

    private AdminActions Actions()
    {
        var factory = new Mock<ISchedulerFactory>();
        factory.Setup(f => f.GetScheduler(It.IsAny<CancellationToken>())).Returns(ValueTask.FromResult(quartz.Object));
        return new AdminActions(factory.Object, new RotationScheduler(time), observer, time);
    }

    [Fact]
    public async Task RequestAsync_TheExecutionCarriesTheRequest_AnswersWithItsResult()
    {
        var request = new OperatorRequest(OperatorAction.Rotate, "ops", "quarterly");
        var asked = Actions().RequestAsync("billing", request, Wait, CancellationToken.None);

        // Another key's execution, and this key's execution of another request, are not the answer.
        observer.Publish("orders", new ExecutionResult(Phase.Intent, null, RunReason.FollowUp, Request: request));
        observer.Publish("billing", new ExecutionResult(Phase.Idle, null, RunReason.FollowUp, Request: request with { Actor = "alice" }));
        observer.Publish("billing", new ExecutionResult(Phase.RollingOut, null, RunReason.FollowUp, RotationId: "r1", Request: request));

        var result = await asked;

        Assert.Equal(("r1", Phase.RollingOut), (result?.RotationId, result?.Phase));
        quartz.Verify(q => q.ScheduleJob(It.Is<ITrigger>(t => t.JobKey.Name == "billing"), It.IsAny<ScheduleJobOptions>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task RequestAsync_NoExecutionWithinTheWait_AnswersNullAndLeavesTheRequestQueued()
    {
        var asked = Actions().RequestAsync("billing", new OperatorRequest(OperatorAction.Pause, "ops"), Wait, CancellationToken.None);

        time.Advance(Wait - TimeSpan.FromMilliseconds(1));
        Assert.False(asked.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await asked);
        quartz.Verify(q => q.ScheduleJob(It.IsAny<ITrigger>(), It.IsAny<ScheduleJobOptions>(), It.IsAny<CancellationToken>()), Times.Once);
        quartz.Verify(q => q.UnscheduleJob(It.IsAny<TriggerKey>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
