using Rotator.Admin;
using Rotator.Rotation;

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
}
