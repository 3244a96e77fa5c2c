using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class ControlRecordTests
{
    [Fact]
    public void ToTags_FromTags_RoundTripsEveryField()
    {
        var record = new ControlRecord
        {
            Phase = Phase.RollingOut,
            RotationId = "r20260101000000-abcd1234",
            Trigger = RotationTrigger.Manual,
            Actor = "alice",
            Attempts = 3,
            PhaseSince = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            NewKey = new KeyRef("00112233445566aa", "key_2"),
            OldKey = new KeyRef("ffeeddccbbaa9988", null),
            LastCompleted = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero),
            Error = "vault answered 503",
            Paused = true,
            Lease = new Lease("host-1", new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero)),
            Emergency = Suspect.All,
            EmergencySince = new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero),
            Forced = true,
            Suspects = [new KeyRef("0011223344556677", "key_1"), new KeyRef("8899aabbccddeeff", null)],
            Held = Phase.Minted,
            Note = "Abort by alice: wrong account",
            Steps = [new RotationStep(Phase.Intent, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), new RotationStep(Phase.Minted, new DateTimeOffset(2026, 1, 1, 0, 0, 3, TimeSpan.Zero))],
        };

        var read = ControlRecord.FromTags(record.ToTags());

        Assert.Equal(record.Suspects, read.Suspects);
        Assert.Equal(record.Steps, read.Steps);
        Assert.Equal(record, read with { Suspects = record.Suspects, Steps = record.Steps });
    }

    [Fact]
    public void ToTags_StaysWithinKeyVaultLimits()
    {
        var record = new ControlRecord { Error = new string('x', 2000), RotationId = "r1", Actor = "a", NewKey = new("a", "b"), OldKey = new("c", "d"), Held = Phase.Stored, Forced = true, Emergency = Suspect.Old };
        for (var i = 0; i < 100; i++)
        {
            record = record.Step(i % 2 == 0 ? Phase.RollingOut : Phase.Stalled, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i));
        }

        var tags = record.ToTags();

        Assert.True(tags.Count <= 15);
        Assert.All(tags, t => Assert.True(t.Key.Length <= 512 && t.Value.Length <= ControlRecord.MaxTextLength));
    }

    [Fact]
    public void Steps_PastTheTagLimit_KeepTheFirstAndTheLatest()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var record = new ControlRecord().Step(Phase.Intent, start, newRotation: true);
        for (var i = 1; i <= 60; i++)
        {
            record = record.Step(i % 2 == 0 ? Phase.RollingOut : Phase.Stalled, start.AddMinutes(i));
        }

        var read = ControlRecord.FromTags(record.ToTags()).Steps;

        Assert.Equal(new RotationStep(Phase.Intent, start), read[0]);
        Assert.Equal(new RotationStep(Phase.RollingOut, start.AddMinutes(60)), read[^1]);
        Assert.InRange(read.Count, 3, 60);
    }

    [Fact]
    public void Step_NewRotation_StartsANewList()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var record = new ControlRecord().Step(Phase.Intent, at).Step(Phase.Completed, at.AddSeconds(5));

        Assert.Equal([new RotationStep(Phase.Intent, at.AddDays(1))], record.Step(Phase.Intent, at.AddDays(1), newRotation: true).Steps);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("Intent@notanumber;Minted+3")]
    [InlineData("Nowhere@1764090000")]
    public void FromTags_UnreadableSteps_AreEmpty(string steps) =>
        Assert.Empty(ControlRecord.FromTags(new Dictionary<string, string> { [ControlRecord.Tags.Steps] = steps }).Steps);

    [Fact]
    public void FromTags_NoTags_IsIdle() => Assert.Equal(Phase.Idle, ControlRecord.FromTags(new Dictionary<string, string>()).Phase);
}
