using Quartz;
using Rotator.Telemetry;

namespace Rotator.Tests.Telemetry;

public sealed class SchedulerReadyCheckTests
{
    [Theory]
    [InlineData(SchedulerStatus.Running, true)]
    [InlineData(SchedulerStatus.Created, false)]
    [InlineData(SchedulerStatus.Standby, false)]
    [InlineData(SchedulerStatus.ShuttingDown, false)]
    [InlineData(SchedulerStatus.Shutdown, false)]
    [InlineData(SchedulerStatus.Unknown, false)]
    public void Ready_OnlyWhileTheSchedulerRuns(SchedulerStatus status, bool ready) => Assert.Equal(ready, SchedulerReadyCheck.Ready(status));
}
